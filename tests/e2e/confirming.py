"""Pressing a button that asks once (交办, 签收, 销号 …) in the console's own dialog."""

from __future__ import annotations

from playwright.sync_api import expect


def press_and_confirm(button, action: str) -> None:
    """Press `button` once its page has loaded, then 确认<action> in the dialog. The dialog
    is console.js's, a deferred script: a click that beats it (the page's text is there,
    the script still on the way) posts the form to the server's no-JavaScript confirmation
    page instead, which a CI run on a loaded machine once did."""
    page = button.page
    page.wait_for_load_state("load")
    button.click()
    dialog = page.get_by_role("dialog", name=f"确认{action}?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=f"确认{action}").click()

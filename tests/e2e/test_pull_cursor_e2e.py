"""The field app's pull and a refused cursor, against the live server: a cursor the server
calls `invalid_cursor` makes the device pull everything again; any other 400 is a sync
error the inspector sees, and nothing is pulled again behind it.

The local records of the first sync are removed before each case, so only a pull without a
cursor (the snapshot) can bring the plan and its site back: a pull from a cursor sends
only what changed since, and nothing changed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.test_field_app_e2e import local_entities, log_in, plan_for_inspector

pytestmark = pytest.mark.e2e

# A cursor the server cannot decrypt: 400 invalid_cursor.
BOGUS_CURSOR = "not-a-cursor"
# A cursor with a NUL character: refused before the cursor is read, 400 nul_character.
NUL_CURSOR = "x\x00y"


def logged_in_with_a_bad_cursor(context, factory, cursor: str):
    """Log in, let the first sync finish, then forget the pulled records and store `cursor`
    in its place. Returns the page, the plan, and the list the pulls will be noted in:
    (cursor sent or None, status)."""
    inspector, plan, _ = plan_for_inspector(factory)
    page = context.new_page()
    page.goto("/")
    log_in(page, inspector)
    expect(page.get_by_text(plan.title)).to_be_visible()
    page.evaluate("window.zhicha.syncNow()")  # the first sync has ended
    assert {"plan", "site"} <= set(local_entities(page))
    page.evaluate(
        """(cursor) => import('/pwa/db.js').then(async (db) => {
            for (const r of await db.getAll('records')) await db.del('records', [r.entity, r.id]);
            await db.setMeta('cursor', cursor);
        })""",
        cursor,
    )
    assert local_entities(page) == []
    pulls: list[tuple[str | None, int]] = []

    def note(response):
        url = urlparse(response.url)
        if url.path == "/api/sync/pull":
            sent = parse_qs(url.query, keep_blank_values=True).get("cursor")
            pulls.append((sent[0] if sent else None, response.status))

    page.on("response", note)
    return page, plan, pulls


def stored_cursor(page):
    return page.evaluate("import('/pwa/db.js').then((db) => db.getMeta('cursor'))")


def test_an_invalid_cursor_pulls_everything_again(field_context, factory):
    page, plan, pulls = logged_in_with_a_bad_cursor(field_context, factory, BOGUS_CURSOR)
    page.evaluate("window.zhicha.syncNow()")

    # Refused as invalid_cursor, then pulled again from the start, and that pull applied.
    assert pulls[:2] == [(BOGUS_CURSOR, 400), (None, 200)], pulls
    assert {"plan", "site"} <= set(local_entities(page))
    assert stored_cursor(page) not in (None, BOGUS_CURSOR)
    expect(page.get_by_text(plan.title)).to_be_visible()
    expect(page.locator("#home-sync-error")).to_be_hidden()


def test_another_400_is_a_sync_error_and_nothing_is_pulled_again(field_context, factory):
    page, plan, pulls = logged_in_with_a_bad_cursor(field_context, factory, NUL_CURSOR)
    page.evaluate("window.zhicha.syncNow()")

    # The sync stops at the refusal and says why, in Chinese.
    error = page.locator("#home-sync-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("同步未完成:请求中含有不允许的空字符")
    # Every pull carried the stored cursor and was refused: none started again without it.
    assert pulls and all(p == (NUL_CURSOR, 400) for p in pulls), pulls
    assert stored_cursor(page) == NUL_CURSOR
    assert local_entities(page) == []
    expect(page.get_by_text(plan.title)).to_have_count(0)

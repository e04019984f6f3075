"""Whether a page, or parts of it, fit the screen's width, for the browser tests."""

from __future__ import annotations

WIDER = """([sel, w]) => [...document.querySelectorAll(sel)]
  .filter(e => e.getBoundingClientRect().right > w + 0.5)
  .map(e => e.tagName + '.' + e.className)"""


def fits(page, *selectors: str) -> None:
    """Nothing wider than the viewport: the whole page, or with `selectors` those parts
    and everything in them (when the rest of the page is another feature's). Measured once
    the page has loaded: an expectation on the page's text can pass while its stylesheet
    is still on the way, and a page measured without its CSS is as wide as its photos
    (seen once on a loaded CI machine)."""
    page.wait_for_load_state("load")
    screen = page.viewport_size["width"]
    if not selectors:
        width = page.evaluate("document.documentElement.scrollWidth")
        wider = page.evaluate(WIDER, ["body *", screen])[:8] if width > screen else []
        assert width <= screen, f"{page.url} is {width}px wide at {screen}px: {wider}"
    for selector in selectors:
        wider = page.evaluate(WIDER, [f"{selector}, {selector} *", screen])
        assert page.locator(selector).count() and not wider, (selector, wider)


def box(locator) -> dict:
    """The element's bounding box once its page has loaded (its stylesheet applied): the
    size of a button measured before that is the browser's default size."""
    locator.page.wait_for_load_state("load")
    return locator.bounding_box()

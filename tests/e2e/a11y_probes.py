"""The page measurements of tests/e2e/test_accessibility.py, run in the browser."""

# The interactive elements that are too small at the current width, as "element W×H".
SMALL_TARGETS = """(min) => {
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.name) s += `[name=${el.name}]`;
    if (el.getAttribute("type")) s += `[type=${el.getAttribute("type")}]`;
    if (el.className && typeof el.className === "string") {
      s += "." + el.className.trim().split(/\\s+/).join(".");
    }
    const text = (el.textContent || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 30);
    return text ? `${s} "${text}"` : s;
  };
  // A link in running text: its parent (or the parent's block) has text of its own.
  const inText = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    for (let node = el.parentElement; node; node = node.parentElement) {
      const own = [...node.childNodes]
        .some((c) => c.nodeType === 3 && /[\\p{L}\\p{N}]/u.test(c.textContent));
      if (own) return true;
      if (getComputedStyle(node).display !== "inline") return false;
    }
    return false;
  };
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    let rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue; // not shown
    if (getComputedStyle(el).visibility === "hidden") continue;
    for (const label of el.labels || []) {
      const box = label.getBoundingClientRect();
      if (box.width * box.height > rect.width * rect.height) rect = box;
    }
    if (rect.width >= min - 0.5 && rect.height >= min - 0.5) continue;
    if (inText(el)) continue;
    out.push(`${describe(el)} ${Math.round(rect.width)}×${Math.round(rect.height)}`);
  }
  return out;
}"""
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .filter((el) => !el.closest(".table-wrap, pre, [data-scrolls]"))
    .slice(0, 3)
    .map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
      ? "." + el.className.trim().split(/\\s+/).join(".") : ""));
  // A table left as a table on a phone squeezes its text into narrow columns.
  // (Headers of a table made cards are kept for screen readers in a 1 px clipped thead.)
  const hidden = (c) =>
    c.closest("thead") && c.closest("thead").getBoundingClientRect().height <= 1;
  const squeezed = [...document.querySelectorAll("td, th")]
    .filter((c) => !hidden(c))
    .filter((c) => c.getBoundingClientRect().height > 0 && c.getBoundingClientRect().width < 80
      && c.textContent.trim().length > 6)
    .slice(0, 3)
    .map((c) => `${c.tagName.toLowerCase()} "${c.textContent.trim().slice(0, 12)}" `
      + `${Math.round(c.getBoundingClientRect().width)} px`);
  // A box that scrolls sideways inside the page (a wide table in its wrapper).
  const sideways = [...document.querySelectorAll("main *")]
    .filter((el) => el.scrollWidth > el.clientWidth + 1
      && ["auto", "scroll"].includes(getComputedStyle(el).overflowX) && el.tagName !== "PRE")
    .slice(0, 3)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className} `
      + `${el.scrollWidth} px in ${el.clientWidth} px`);
  return { scroll: document.documentElement.scrollWidth, width, wide, squeezed, sideways };
}"""

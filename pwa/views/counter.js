// A live character counter under a text field ("4,980/5,000"): it warns near the server's
// limit and says by how much the text is over it. Nothing is ever cut: the field has no
// maxlength (a browser truncates pasted text to it without a word); a form refuses to
// save an over-long text with a message instead, and the inspector shortens it.

import { textLength } from "../limits.js";
import { fieldError, h } from "./dom.js";

const NEAR = 0.9; // warn from 90 % of the limit
const fmt = (n) => n.toLocaleString("en-US");

/**
 * Wrap `field` (an input or a textarea) in its label with a counter below.
 * Returns {element, check()}: check() shows the refusal and returns false when the
 * text (as it will be sent: trimmed) is over `max`.
 */
export function countedField(label, field, max) {
  const counter = h("span", { class: "counter", id: `${field.name}-counter` });
  field.setAttribute("aria-describedby", counter.id);
  const length = () => textLength(field.value.trim());
  const update = () => {
    const n = length();
    const over = n - max;
    counter.textContent = over > 0 ? `${fmt(n)}/${fmt(max)} · 超出 ${fmt(over)} 字`
      : n >= max * NEAR ? `${fmt(n)}/${fmt(max)} · 接近上限` : `${fmt(n)}/${fmt(max)}`;
    counter.className = `counter${over > 0 ? " over" : n >= max * NEAR ? " near" : ""}`;
    if (over <= 0) fieldError(field, null);
  };
  const element = h("div", { class: "counted" }, h("label", {}, label, field), counter);
  field.addEventListener("input", update);
  update();
  return {
    element,
    update,
    check() {
      const over = length() - max;
      if (over <= 0) return true;
      fieldError(field, `超出 ${fmt(max)} 字的上限 ${fmt(over)} 字,请删减后再保存(内容未被截断)`);
      field.focus();
      return false;
    },
  };
}

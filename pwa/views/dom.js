// Tiny DOM helpers. Text is always set as text (never parsed as HTML), and no inline
// styles: the CSP forbids them, and classes in app.css are the only styling. Labels of
// stored values come from the server's glossary (/glossary.js), never from a copy here.

import { GLOSSARY } from "/glossary.js";

export const $ = (id) => document.getElementById(id);

/** h("button", {class: "x", onclick: fn, disabled: true}, "text", child...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "text") {
      el.textContent = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const pad = (n) => String(n).padStart(2, "0");

/** "11月20日 09:14" in the device's time zone. */
export function fmtTime(value) {
  if (!value) return "—";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "—";
  return `${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fmtDate(value) {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`;
}

export function fmtBytes(n) {
  if (n == null) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export const STATE_LABELS = {
  pending: "等待同步",
  sending: "正在发送",
  synced: "已同步",
  attention: "需要处理",
  resolved: "已处理",
  waiting: "等待上传",
  uploading: "正在上传",
  done: "已上传",
  refused: "无法识别",
};

export function stateBadge(stateName) {
  return h("span", { class: `badge badge-${stateName}`, text: STATE_LABELS[stateName] || stateName });
}

/** The inspector's suggestion on a 回头看 (the office decides); null or "": 不确定. */
export function opinionLabel(value) {
  if (value === null || value === undefined || value === "") return "不确定";
  return GLOSSARY.verification_opinions[value] || String(value);
}

/** Busy state for a button: disabled, with a progress label. Returns a restore function. */
export function busy(button, label) {
  const original = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  return () => {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = original;
  };
}

/** A message in a hidden element (an error line, a note), shown. */
export function show(el, text) {
  el.textContent = text;
  el.hidden = false;
}

/** A field's validation message under it (role=alert so screen readers announce it). */
export function fieldError(field, message) {
  const holder = field.closest("label, fieldset") || field.parentElement;
  let el = holder.querySelector(":scope > .field-error");
  if (!message) { el?.remove(); field.removeAttribute("aria-invalid"); return; }
  if (!el) { el = h("span", { class: "field-error", role: "alert" }); holder.append(el); }
  el.textContent = message;
  field.setAttribute("aria-invalid", "true");
}

// Interview record (走访记录) during a check-in: who was met, and what they said.

import { GLOSSARY } from "/glossary.js";
import { getRecord } from "../db.js";
import { uuid } from "../hash.js";
import { TEXT_LIMITS } from "../limits.js";
import { capture } from "../outbox/capture.js";
import { state } from "../state.js";
import { countedField } from "./counter.js";
import { busy, fieldError, h, replace, show } from "./dom.js";

export async function renderInterview(root, [visitId], { navigate, afterCapture }) {
  const visit = await getRecord("visit", visitId);
  if (!visit) {
    replace(root, h("a", { class: "back", href: "#/" }, "‹ 返回"),
      h("p", { class: "empty", text: "找不到该签到记录,请先到场签到" }));
    return;
  }
  const site = await getRecord("site", visit.data.site_id);
  const back = `#/site/${visit.data.plan_id}/${visit.data.site_id}`;
  const kinds = Object.entries(GLOSSARY.interviewee_kinds).map(([value, label], i) =>
    h("label", { class: "segment" },
      h("input", { type: "radio", name: "interviewee_kind", value, checked: i === 0 }),
      h("span", { text: label })));
  const summary = h("textarea", { name: "summary", rows: 6, required: true });
  const summaryField = countedField(h("span", { class: "required" }, "走访内容"), summary,
    TEXT_LIMITS.interview_summary);
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", id: "interview-save", text: "保存走访记录" });
  const form = h("form", { id: "interview-form", novalidate: true },
    h("fieldset", { class: "segments wrap" }, h("legend", { text: "走访对象" }), kinds),
    summaryField.element,
    error, save);

  summary.addEventListener("input", () => fieldError(summary, null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = summary.value.trim();
    if (!text) {
      fieldError(summary, "请填写走访内容");
      summary.focus();
      return;
    }
    if (!summaryField.check()) return;
    const restore = busy(save, "正在保存…");
    try {
      await capture(state.user.id, [{
        entity: "interview", op: "create", id: uuid(),
        data: { visit_id: visitId, interviewee_kind: form.interviewee_kind.value, summary: text },
      }]);
      afterCapture();
      navigate(back, { replace: true, flash: "走访记录已保存,等待同步" });
    } catch (err) {
      show(error, `保存失败:${err.message}`);
      restore();
    }
  });

  replace(root,
    h("a", { class: "back", href: back }, "‹ 返回"),
    h("div", { class: "card" },
      h("h1", { text: "走访记录" }),
      h("p", { class: "muted small", text: site ? site.data.name : "" }),
      form));
}

// New finding (发现问题) at a site, with photos. The finding, its photos' records, their
// bytes and all their mutations are saved in one IndexedDB transaction.

import { GLOSSARY } from "/glossary.js";
import { getRecord, recordsOf } from "../db.js";
import { positionOrNull } from "../geo.js";
import { uuid } from "../hash.js";
import { capture } from "../outbox/capture.js";
import { nowIso } from "../outbox/mutations.js";
import { state } from "../state.js";
import { busy, fieldError, h, replace, show } from "./dom.js";
import { photoChanges, photoPicker } from "./photos.js";
import { currentVisit } from "./site.js";

const byName = (a, b) => String(a.data.name).localeCompare(String(b.data.name), "zh-CN");

export async function renderFinding(root, [planId, siteId], { navigate, afterCapture }) {
  const plan = await getRecord("plan", planId);
  const site = siteId ? await getRecord("site", siteId) : null;
  if (!plan) {
    replace(root, h("a", { class: "back", href: "#/" }, "‹ 返回"),
      h("p", { class: "empty", text: "找不到该督查计划" }));
    return;
  }
  const visit = siteId ? await currentVisit(planId, siteId) : null;
  const categories = (await recordsOf("category")).sort((a, b) =>
    (a.data.code === "other") - (b.data.code === "other")
    || (a.data.sort_order ?? 0) - (b.data.sort_order ?? 0) || byName(a, b));
  if (!categories.some((c) => c.data.code === "other")) {
    categories.push({ id: "other", data: { code: "other", name: "其他" } });
  }
  const units = (await recordsOf("unit")).sort(byName);

  // A first fix now; a fresher one is taken when saving.
  let fix = null;
  const where = h("p", { class: "muted small", id: "finding-location", text: "正在定位…" });
  positionOrNull({ timeout: 15000 }).then((p) => {
    fix = p;
    where.textContent = p ? `位置:±${Math.round(p.accuracy_m)} 米` : "未取得位置(仍可保存)";
  });

  const title = h("input", { name: "title", maxlength: 200, required: true, autocomplete: "off" });
  const description = h("textarea", { name: "description", rows: 4, maxlength: 5000 });
  const category = h("select", { name: "category" },
    categories.map((c) => h("option", { value: c.data.code, text: c.data.name })));
  category.value = categories.find((c) => c.data.code !== "other")?.data.code || "other";
  const severities = Object.entries(GLOSSARY.severities).map(([value, label], i) =>
    h("label", { class: "segment" },
      h("input", { type: "radio", name: "severity", value, checked: i === 0 }),
      h("span", { text: label })));
  const unit = h("select", { name: "unit_id" },
    h("option", { value: "", text: "(不指定)" }),
    units.map((u) => h("option", { value: u.id, text: u.data.name })));
  if (site?.data.unit_id && units.some((u) => u.id === site.data.unit_id)) {
    unit.value = site.data.unit_id;
  }
  const picker = photoPicker({ idPrefix: "finding-photo" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", id: "finding-save", text: "保存问题" });

  const form = h("form", { id: "finding-form", novalidate: true },
    h("label", {}, h("span", { class: "required" }, "问题标题"), title),
    h("label", {}, "问题描述", description),
    h("label", {}, "问题类别", category),
    h("fieldset", { class: "segments" }, h("legend", { text: "严重程度" }), severities),
    h("label", {}, "建议责任单位", unit),
    h("div", { class: "field" }, h("span", { class: "field-label", text: "照片" }), picker.element),
    where, error, save);

  title.addEventListener("input", () => fieldError(title, null));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const titleText = title.value.trim();
    if (!titleText) {
      fieldError(title, "请填写问题标题");
      title.focus();
      return;
    }
    if (picker.pending()) return show(error, "照片仍在处理中,请稍候");
    const restore = busy(save, "正在保存…");
    try {
      const latest = await positionOrNull({ timeout: 8000, maximumAge: 30000 });
      if (latest) fix = latest;
      const id = uuid();
      const data = {
        plan_id: planId, site_id: siteId || null, visit_id: visit?.id ?? null,
        title: titleText, description: description.value.trim(), category: category.value,
        severity: form.severity.value || "low", unit_id: unit.value || null,
        lat: fix?.lat ?? null, lon: fix?.lon ?? null, accuracy_m: fix?.accuracy_m ?? null,
        observed_at: nowIso(),
      };
      await capture(state.user.id, [
        { entity: "finding", op: "create", id, data },
        ...photoChanges(picker.photos, "finding", id),
      ]);
      const count = picker.photos.length;
      picker.revoke();
      afterCapture();
      navigate(siteId ? `#/site/${planId}/${siteId}` : "#/", {
        replace: true, flash: `问题已保存${count ? `(含 ${count} 张照片)` : ""},等待同步`,
      });
    } catch (err) {
      show(error, `保存失败:${err.message}`);
      restore();
    }
  });

  replace(root,
    h("a", { class: "back", href: siteId ? `#/site/${planId}/${siteId}` : "#/" }, "‹ 返回"),
    h("div", { class: "card" },
      h("h1", { text: "记录问题" }),
      h("p", { class: "muted small",
        text: `${plan.data.title}${site ? ` · ${site.data.name}` : ""}${visit ? " · 已签到" : " · 未签到"}` }),
      form));
  return () => picker.revoke();
}

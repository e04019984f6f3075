// New finding (发现问题) at a site, with photos. The finding, its photos' records, their
// bytes and all their mutations are saved in one IndexedDB transaction.

import { GLOSSARY } from "/glossary.js";
import { getRecord, recordsOf } from "../db.js";
import { distanceM, positionOrNull } from "../geo.js";
import { uuid } from "../hash.js";
import { TEXT_LIMITS } from "../limits.js";
import { capture } from "../outbox/capture.js";
import { nowIso } from "../outbox/mutations.js";
import { state } from "../state.js";
import { countedField } from "./counter.js";
import { busy, fieldError, h, replace, show } from "./dom.js";
import { photoChanges, photoPicker } from "./photos.js";
import { currentVisit } from "./site.js";

const byName = (a, b) => String(a.data.name).localeCompare(String(b.data.name), "zh-CN");

/** [class, text] notes on where the finding is recorded: no check-in here, no position,
 * or the distance to the site against its geofence. Warnings only: saving stays allowed. */
export function placeWarnings({ site, visit, fix, siteId }) {
  const notes = [];
  if (siteId && !visit) notes.push(["outside", "尚未签到:建议先到场签到再记录问题(仍可保存)"]);
  if (!fix) {
    notes.push(["outside", "无法获取位置:问题将不带位置保存(仍可保存)"]);
  } else if (site && site.lat != null && site.lon != null) {
    const m = Math.round(distanceM(fix.lat, fix.lon, site.lat, site.lon));
    const radius = site.radius_m ?? 0;
    notes.push(m > radius
      ? ["outside", `距点位约 ${m.toLocaleString("en-US")} 米,超出电子围栏(半径 ${radius} 米)`]
      : ["inside", `距点位约 ${m.toLocaleString("en-US")} 米,在电子围栏内`]);
  } else if (site) {
    notes.push(["", "该点位没有坐标,无法计算距离"]);
  }
  return notes;
}

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

  // A first fix now; a fresher one is taken when saving. Where the inspector is against
  // the site (and whether they checked in) is said before saving, never blocking it.
  let fix = null;
  const where = h("p", { class: "muted small", id: "finding-location", text: "正在定位…" });
  const warning = h("div", { id: "finding-geo-warning", role: "status" });
  const showPlace = () => {
    where.textContent = fix ? `位置:±${Math.round(fix.accuracy_m)} 米` : "未取得位置(仍可保存)";
    const notes = placeWarnings({ site: site?.data, visit, fix, siteId });
    replace(warning, notes.map(([cls, text]) => h("p", { class: `geofence ${cls}`, text })));
  };
  positionOrNull({ timeout: 15000 }).then((p) => { fix = p; showPlace(); });

  const title = h("input", { name: "title", required: true, autocomplete: "off" });
  const description = h("textarea", { name: "description", rows: 4 });
  const titleField = countedField(h("span", { class: "required" }, "问题标题"), title,
    TEXT_LIMITS.finding_title);
  const descriptionField = countedField("问题描述", description, TEXT_LIMITS.finding_description);
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
    titleField.element,
    descriptionField.element,
    h("label", {}, "问题类别", category),
    h("fieldset", { class: "segments" }, h("legend", { text: "严重程度" }), severities),
    h("label", {}, "建议责任单位", unit),
    h("div", { class: "field" }, h("span", { class: "field-label", text: "照片" }), picker.element),
    where, warning, error, save);

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
    if (!titleField.check() || !descriptionField.check()) return;
    if (picker.pending()) return show(error, "照片仍在处理中,请稍候");
    const restore = busy(save, "正在保存…");
    try {
      const latest = await positionOrNull({ timeout: 8000, maximumAge: 30000 });
      if (latest) fix = latest;
      showPlace();
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

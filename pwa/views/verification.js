// A 回头看 task: the item's problem, measures and requirements, the office's instructions,
// the site with the distance from here, the original photos (kept on the device for
// offline use), "after" photos taken now, and the inspector's report with an opinion.
// Saving writes the report, the photos' records, their bytes and all their mutations in
// one IndexedDB transaction; the sync sends them like every other capture.

import { GLOSSARY } from "/glossary.js";
import { getRecord } from "../db.js";
import { currentPosition, distanceM, formatDistance, positionOrNull } from "../geo.js";
import { listOutbox, recordStates } from "../outbox/status.js";
import { TEXT_LIMITS } from "../limits.js";
import { state } from "../state.js";
import { REFUSED_MESSAGE } from "../uploads.js";
import {
  afterPhotos, cachedPhoto, isEnded, saveReport,
} from "../verifications.js";
import { countedField } from "./counter.js";
import { busy, fmtTime, h, opinionLabel, replace, show, stateBadge } from "./dom.js";
import { taskStatus } from "./home.js";
import { photoChanges, photoPicker } from "./photos.js";

const OPINIONS = ["passed", "failed", ""]; // "" = 不确定 (sent as null)

function section(title, text, id) {
  if (!text) return null;
  return h("div", { class: "task-section" },
    h("h3", { text: title }),
    h("p", { class: "task-text", id, text }));
}

/** The original photos from the device's cache; tapping one shows the larger copy. */
async function originals(task, urls) {
  const list = task.data.original_photos || [];
  if (!list.length) return h("p", { class: "empty small", text: "该事项没有整改前照片" });
  const viewer = h("figure", { class: "photo-viewer", id: "original-viewer", hidden: true });
  const blobUrl = (row) => {
    const url = URL.createObjectURL(new Blob([row.bytes], { type: row.mime_type }));
    urls.push(url);
    return url;
  };
  const items = [];
  for (const [index, photo] of list.entries()) {
    const thumb = await cachedPhoto(photo.id, "thumbnail");
    const caption = `整改前照片 ${index + 1}`;
    if (!thumb) {
      items.push(h("li", { class: "original missing", dataset: { photo: photo.id } },
        h("span", { class: "thumb thumb-none", text: "未下载" }),
        h("span", { class: "muted small", text: `${fmtTime(photo.captured_at)} · 联网同步后可离线查看` })));
      continue;
    }
    const button = h("button", { type: "button", class: "original-button",
      "aria-label": `查看${caption}` },
    h("img", { src: blobUrl(thumb), alt: caption, class: "thumb original-thumb" }));
    button.addEventListener("click", async () => {
      const large = (await cachedPhoto(photo.id, "display")) || thumb;
      replace(viewer,
        h("img", { src: blobUrl(large), alt: `${caption}(大图)`, class: "photo-large" }),
        h("figcaption", { class: "muted small",
          text: `${caption} · 拍摄于 ${fmtTime(photo.captured_at)}` }));
      viewer.hidden = false;
      viewer.scrollIntoView({ block: "nearest" });
    });
    items.push(h("li", { class: "original", dataset: { photo: photo.id } }, button,
      h("span", { class: "muted small", text: fmtTime(photo.captured_at) })));
  }
  return h("div", {}, h("ul", { class: "originals", id: "original-photos" }, items), viewer);
}

/** After photos already saved for this task, with their sync state. */
async function savedAfterPhotos(task, states) {
  const photos = await afterPhotos(task.id);
  if (!photos.length) return null;
  return h("ul", { class: "list", id: "after-photos" }, photos.map((p, i) => h("li",
    { class: "list-item", dataset: { photo: p.id } },
    h("span", { class: "list-main" }, h("strong", { text: `整改后照片 ${i + 1}` }),
      h("span", { class: "muted small", text: `${fmtTime(p.data.captured_at)} · `
        + (p.data.location_source === "geolocation"
          ? `定位 ±${Math.round(p.data.accuracy_m ?? 0)} 米` : "未取得位置") })),
    stateBadge(states.get(`photo:${p.id}`) || "synced"))));
}

/** What the outbox says about this task: refusals and conflicts the inspector must see. */
async function problems(task) {
  const { items, uploads } = await listOutbox();
  const photoIds = new Set((await afterPhotos(task.id)).map((p) => p.id));
  const mine = items.filter((i) => i.state === "attention"
    && ((i.entity === "verification" && i.id === task.id)
      || (i.entity === "photo" && (photoIds.has(i.id) || i.data?.parent_id === task.id))));
  const stuck = uploads.filter((u) => (u.state === "attention" || u.state === "refused")
    && photoIds.has(u.photo_id));
  if (!mine.length && !stuck.length) return null;
  return h("div", { class: "banner warn", role: "alert", id: "task-attention" },
    h("span", { text: [...mine.map((i) => i.error || "需要处理"), ...stuck.map((u) => (u.state === "refused"
      ? REFUSED_MESSAGE : u.error || "照片上传失败"))].join(";") }),
    h("a", { href: "#/outbox", text: "去处理" }));
}

export async function renderVerification(root, [id], { navigate, afterCapture }) {
  const task = await getRecord("verification", id);
  if (!task) {
    replace(root, h("a", { class: "back", href: "#/" }, "‹ 返回"),
      h("p", { class: "empty", text: "找不到该回头看任务(可能已结束或已撤销)" }));
    return undefined;
  }
  const d = task.data;
  const ended = isEnded(task);
  const states = await recordStates();
  const unsynced = states.has(`verification:${id}`);
  const urls = [];

  // ---- the site and where the inspector is
  const distance = h("dd", { id: "verify-distance", text: "—" });
  const accuracy = h("dd", { id: "verify-accuracy", text: "—" });
  const inside = h("p", { id: "verify-inside", class: "geofence", text: "正在定位…" });
  const locate = h("button", { type: "button", class: "secondary", text: "重新定位" });
  let fix = null;
  const site = d.site;
  async function refreshFix() {
    const restore = busy(locate, "正在定位…");
    try {
      fix = await currentPosition({ timeout: 20000 });
      accuracy.textContent = `±${Math.round(fix.accuracy_m)} 米`;
      if (site && site.lat != null && site.lon != null) {
        const m = distanceM(fix.lat, fix.lon, site.lat, site.lon);
        distance.textContent = formatDistance(m);
        const within = m <= (site.radius_m ?? 0);
        inside.textContent = within ? `在点位范围内(半径 ${site.radius_m} 米)`
          : `不在点位范围内(半径 ${site.radius_m} 米)`;
        inside.className = `geofence ${within ? "inside" : "outside"}`;
      } else {
        inside.textContent = "该点位没有坐标,无法计算距离";
        inside.className = "geofence";
      }
    } catch (err) {
      inside.textContent = err.message;
      inside.className = "geofence";
    } finally {
      restore();
    }
  }
  locate.addEventListener("click", refreshFix);
  const siteCard = h("div", { class: "card", id: "task-site" },
    h("h2", { text: "复查点位" }),
    site ? [
      h("p", { class: "site-name", id: "task-site-name", text: site.name }),
      h("p", { class: "muted small", text: site.address || "" }),
      h("dl", { class: "geo" },
        h("div", {}, h("dt", { text: "距点位" }), distance),
        h("div", {}, h("dt", { text: "定位精度" }), accuracy)),
      inside,
      h("p", { class: "muted small", text: `点位半径 ${site.radius_m ?? "—"} 米` }),
      locate,
    ] : [h("p", { class: "muted", text: "该事项未关联点位" }), inside, locate]);

  // ---- the report form
  const report = h("textarea", { name: "report", id: "verify-report", rows: 6 });
  report.value = d.report || "";
  const reportField = countedField("复查情况", report, TEXT_LIMITS.verification_report);
  const current = d.opinion ?? "";
  const opinions = OPINIONS.map((value) => h("label", { class: "segment" },
    h("input", { type: "radio", name: "opinion", value, checked: value === current }),
    h("span", { text: opinionLabel(value) })));
  const picker = photoPicker({ idPrefix: "verify-photo" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", id: "verify-save", text: "保存复查报告",
    disabled: ended });
  const form = h("form", { id: "verify-form", novalidate: true },
    h("div", { class: "field" }, h("span", { class: "field-label", text: "整改后照片" }),
      await savedAfterPhotos(task, states), ended ? null : picker.element),
    reportField.element,
    h("fieldset", { class: "segments" }, h("legend", { text: "复查意见(供督查室参考)" }), opinions),
    error, save);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!reportField.check()) return;
    if (picker.pending()) return show(error, "照片仍在处理中,请稍候");
    const text = report.value.trim();
    const opinion = form.opinion.value || null;
    const changed = text !== (d.report || "").trim() || opinion !== (d.opinion ?? null);
    if (!changed && !picker.photos.length) {
      return show(error, text ? "没有新的修改" : "请填写复查情况或添加整改后照片");
    }
    const restore = busy(save, "正在保存…");
    try {
      let data = null;
      if (changed) {
        const latest = await positionOrNull({ timeout: 8000, maximumAge: 30000 });
        if (latest) fix = latest;
        data = { report: text, opinion, lat: fix?.lat ?? null, lon: fix?.lon ?? null,
          accuracy_m: fix?.accuracy_m ?? null };
      }
      const count = picker.photos.length;
      await saveReport(state.user.id, id, data,
        photoChanges(picker.photos, "verification", id));
      picker.revoke();
      afterCapture();
      navigate(`#/verification/${id}`, {
        replace: true,
        flash: `${data ? "复查报告已保存" : "照片已保存"}${count ? `(含 ${count} 张照片)` : ""},等待同步`,
      });
    } catch (err) {
      show(error, `保存失败:${err.message}`);
      restore();
    }
  });

  const status = taskStatus(task);
  replace(root,
    h("a", { class: "back", href: "#/" }, "‹ 返回"),
    ended ? h("div", { class: "banner danger", role: "alert", id: "task-ended" },
      h("span", { text: unsynced || (await afterPhotos(id)).some((p) => states.has(`photo:${p.id}`))
        ? "复查已结束,未同步的内容已保存在本机。同步时服务器会拒绝它们,可在“待同步”中导出或放弃。"
        : "复查已结束。" }))
      : null,
    await problems(task),
    h("div", { class: "card", id: "task-head" },
      h("p", { class: "muted small", text: `回头看 · ${d.code || ""}` }),
      h("h1", { id: "task-problem", text: d.problem || "回头看任务" }),
      h("p", {}, h("span", { class: `${status.cls} task-status`, id: "task-status", text: status.label }),
        unsynced ? h("span", { class: "tag pending", text: "待同步" }) : null,
        d.reported_at ? h("span", { class: "muted small",
          text: ` 报告于 ${fmtTime(d.reported_at)}` }) : null),
      d.instructions ? h("div", { class: "notice", id: "task-instructions" },
        h("strong", { text: "复查要求:" }), h("span", { text: d.instructions })) : null,
      section("整改措施", d.measures, "task-measures"),
      section("整改要求", d.requirements, "task-requirements"),
      d.status && d.status !== "assigned" && d.status !== "reported"
        ? h("p", { class: "muted small", text: `服务器状态:${GLOSSARY.verification_statuses[d.status] || d.status}` })
        : null),
    siteCard,
    h("div", { class: "card" }, h("h2", { text: "整改前照片" }), await originals(task, urls)),
    h("div", { class: "card" }, h("h2", { text: "复查报告" }), form));
  refreshFix();
  return () => {
    picker.revoke();
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  };
}

// A site of a plan: check in (到场签到) with the device location, then record findings and
// interviews there. Shows accuracy, the distance to the site and whether it is inside the
// site's radius.

import { GLOSSARY } from "/glossary.js";
import { getRecord, recordsOf } from "../db.js";
import { currentPosition, distanceM, formatDistance } from "../geo.js";
import { uuid } from "../hash.js";
import { TEXT_LIMITS } from "../limits.js";
import { capture } from "../outbox/capture.js";
import { nowIso } from "../outbox/mutations.js";
import { recordStates, watchOutbox } from "../outbox/status.js";
import { state } from "../state.js";
import { REFUSED_MESSAGE, serverCopy } from "../uploads.js";
import { countedField } from "./counter.js";
import { busy, fmtTime, h, replace, show, stateBadge } from "./dom.js";
import { photoChanges, photoPicker } from "./photos.js";

const CURRENT_VISIT_MS = 12 * 3600 * 1000;

/** The inspector's latest check-in at this site of this plan, if within 12 hours. */
export async function currentVisit(planId, siteId) {
  const visits = (await recordsOf("visit"))
    .filter((v) => !v.deleted && v.data.plan_id === planId && v.data.site_id === siteId
      && (!state.user || !v.owner || v.owner === state.user.id))
    .sort((a, b) => String(b.data.arrived_at).localeCompare(String(a.data.arrived_at)));
  const latest = visits[0];
  if (!latest) return null;
  return Date.now() - new Date(latest.data.arrived_at).getTime() < CURRENT_VISIT_MS ? latest : null;
}

// What a record shows next to it: its own sync state, or its photos' when worse.
const RANK = { synced: 0, pending: 1, attention: 2, refused: 3 };

function siteRecordsList(records, states, photosOf) {
  if (!records.length) return h("p", { class: "empty", text: "本点位暂无记录" });
  return h("ul", { class: "list", id: "site-records" }, records.map((r) => {
    const photoStates = photosOf(r).map((p) => states.get(`photo:${p.id}`) || "synced");
    const st = [states.get(`${r.entity}:${r.id}`) || "synced", ...photoStates]
      .reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
    const refusedIds = photosOf(r).filter((p) => states.get(`photo:${p.id}`) === "refused")
      .map((p) => p.id);
    const refused = refusedIds.length;
    const failed = photosOf(r).filter((p) => serverCopy(p)?.content_status === "failed").length;
    let title = GLOSSARY.records[r.entity];
    let detail = "";
    if (r.entity === "finding") {
      title = r.data.title;
      detail = `${GLOSSARY.records.finding} · ${GLOSSARY.severities[r.data.severity] || ""}`
        + ` · ${fmtTime(r.data.observed_at)}`;
    } else if (r.entity === "visit") {
      detail = `${fmtTime(r.data.arrived_at)} · ±${Math.round(r.data.accuracy_m ?? 0)} 米`;
    } else if (r.entity === "interview") {
      title = `走访 · ${GLOSSARY.interviewee_kinds[r.data.interviewee_kind] || ""}`;
      detail = r.data.summary.slice(0, 40);
    }
    return h("li", { class: "list-item", dataset: { record: `${r.entity}:${r.id}` } },
      h("span", { class: "list-main" }, h("strong", { text: title }),
        h("span", { class: "muted small", text: detail }),
        refused ? h("span", { class: "error small photo-refused" },
          `${refused > 1 ? `${refused} 张照片:` : ""}${REFUSED_MESSAGE} `,
          h("a", { href: `#/retake/${refusedIds[0]}`, text: "重新拍摄" })) : null,
        failed ? h("span", { class: "muted small photo-failed",
          text: `${failed} 张照片服务器处理失败(原图已保存,管理员可重试)` }) : null),
      stateBadge(st));
  }));
}

/** This site's records (check-ins, findings, interviews), newest first, and their states;
 * `signature` changes only when the list would. */
async function siteRecords(planId, siteId) {
  const states = await recordStates();
  const here = (r) => !r.deleted && r.data.plan_id === planId && r.data.site_id === siteId;
  const visits = (await recordsOf("visit")).filter(here);
  const visitIds = new Set(visits.map((v) => v.id));
  const mine = [
    ...visits,
    ...(await recordsOf("finding")).filter(here),
    ...(await recordsOf("interview")).filter((r) => !r.deleted && visitIds.has(r.data.visit_id)),
  ];
  mine.sort((a, b) => (b.updated_at || 0) - (a.updated_at || 0));
  const photos = await recordsOf("photo");
  const photosOf = (r) => photos.filter((p) => p.data.parent_type === r.entity
    && p.data.parent_id === r.id);
  const signature = JSON.stringify(mine.map((r) => [r.entity, r.id, r.version,
    states.get(`${r.entity}:${r.id}`), r.updated_at, photosOf(r).map((p) => [
      states.get(`photo:${p.id}`), serverCopy(p)?.content_status])]));
  return { signature, element: () => siteRecordsList(mine, states, photosOf) };
}

export async function renderSite(root, [planId, siteId], { navigate, afterCapture }) {
  const plan = await getRecord("plan", planId);
  const site = await getRecord("site", siteId);
  if (!plan || !site) {
    replace(root, h("a", { class: "back", href: "#/" }, "‹ 返回"),
      h("p", { class: "empty", text: "找不到该点位(可能已不在您的计划中)" }));
    return;
  }
  const s = site.data;
  const visit = await currentVisit(planId, siteId);
  let fix = null;

  const accuracy = h("dd", { id: "geo-accuracy", text: "—" });
  const distance = h("dd", { id: "geo-distance", text: "—" });
  const inside = h("p", { id: "geo-inside", class: "geofence", text: "正在定位…" });
  const geoError = h("p", { class: "error", role: "alert", hidden: true });
  const note = h("textarea", { name: "note", rows: 2 });
  const noteField = countedField("备注", note, TEXT_LIMITS.visit_note);
  const picker = photoPicker({ idPrefix: "visit-photo" });
  const checkinError = h("p", { class: "error", role: "alert", hidden: true });
  const locate = h("button", { type: "button", class: "secondary", text: "重新定位" });
  const checkin = h("button", { type: "submit", id: "checkin-button",
    text: visit ? "再次签到" : "到场签到" });

  async function refreshFix() {
    const restore = busy(locate, "正在定位…");
    geoError.hidden = true;
    try {
      fix = await currentPosition({ timeout: 20000 });
      const d = distanceM(fix.lat, fix.lon, s.lat, s.lon);
      accuracy.textContent = `±${Math.round(fix.accuracy_m)} 米`;
      distance.textContent = formatDistance(d);
      const within = d <= (s.radius_m ?? 0);
      inside.textContent = within ? `在点位范围内(半径 ${s.radius_m} 米)`
        : `不在点位范围内(半径 ${s.radius_m} 米)`;
      inside.className = `geofence ${within ? "inside" : "outside"}`;
    } catch (err) {
      fix = null;
      show(geoError, err.message);
      inside.textContent = "未取得位置";
      inside.className = "geofence";
    } finally {
      restore();
    }
  }
  locate.addEventListener("click", refreshFix);

  const form = h("form", { id: "checkin-form", novalidate: true },
    h("dl", { class: "geo" },
      h("div", {}, h("dt", { text: "定位精度" }), accuracy),
      h("div", {}, h("dt", { text: "距点位" }), distance)),
    inside, geoError, locate,
    noteField.element,
    h("div", { class: "field" }, h("span", { class: "field-label", text: "现场照片(可选)" }),
      picker.element),
    checkinError, checkin);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    checkinError.hidden = true;
    if (!noteField.check()) return;
    if (picker.pending()) return show(checkinError, "照片仍在处理中,请稍候");
    if (!fix && !window.confirm("尚未取得位置。没有位置的签到无法证明到场,仍要签到吗?")) return;
    const restore = busy(checkin, "正在保存…");
    try {
      const id = uuid();
      const data = {
        plan_id: planId, site_id: siteId, arrived_at: nowIso(), lat: fix?.lat ?? null,
        lon: fix?.lon ?? null, accuracy_m: fix?.accuracy_m ?? null, note: note.value.trim(),
      };
      await capture(state.user.id, [
        { entity: "visit", op: "create", id, data },
        ...photoChanges(picker.photos, "visit", id),
      ]);
      picker.revoke();
      afterCapture();
      navigate(`#/site/${planId}/${siteId}`, { replace: true, flash: "已签到,等待同步" });
    } catch (err) {
      show(checkinError, `保存失败:${err.message}`);
      restore();
    }
  });

  // The records and their sync states follow the outbox live; the form above is left alone.
  const recordsCard = h("div", { class: "card" }, h("h2", { text: "本点位记录" }));
  let drawn = null;
  const drawRecords = async () => {
    const list = await siteRecords(planId, siteId);
    if (list.signature === drawn) return;
    drawn = list.signature;
    replace(recordsCard, h("h2", { text: "本点位记录" }), list.element());
  };
  await drawRecords();

  const actions = h("div", { class: "actions" },
    h("a", { class: "button", href: `#/finding/${planId}/${siteId}`, text: "记录问题" }),
    visit
      ? h("a", { class: "button secondary", href: `#/interview/${visit.id}`, text: "走访记录" })
      : h("button", { type: "button", class: "secondary", disabled: true, text: "走访记录(请先签到)" }));

  replace(root,
    h("a", { class: "back", href: "#/" }, "‹ 返回计划"),
    h("div", { class: "card" },
      h("h1", { text: s.name }),
      h("p", { class: "muted", text: s.address || "" }),
      h("p", { class: "muted small", text: `${plan.data.title} · 点位半径 ${s.radius_m} 米` }),
      visit ? h("p", { class: "ok", id: "visit-status",
        text: `已于 ${fmtTime(visit.data.arrived_at)} 签到` }) : null),
    h("div", { class: "card" }, h("h2", { text: "到场签到" }), form),
    h("div", { class: "card" }, h("h2", { text: "现场工作" }), actions),
    recordsCard);
  refreshFix();
  const stop = watchOutbox(drawRecords);
  return () => { stop(); picker.revoke(); };
}

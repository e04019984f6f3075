// Home: who is logged in, connectivity, the outbox, last sync, warnings, the 回头看 tasks,
// the assigned plans and their sites, and the device's storage.

import { GLOSSARY } from "/glossary.js";
import { recordsOf } from "../db.js";
import { recordStates } from "../outbox/status.js";
import { CONNECTIVITY_LABELS, state } from "../state.js";
import { isEnded, verificationList } from "../verifications.js";
import { $, fmtBytes, fmtDate, fmtTime, h, replace } from "./dom.js";

const STALE_MS = 3 * 24 * 3600 * 1000;

function banners(onRelogin) {
  const list = [];
  if (state.sessionExpired) {
    const button = h("button", { type: "button", class: "small-button", text: "重新登录" });
    button.addEventListener("click", onRelogin);
    list.push(h("div", { class: "banner warn", role: "alert" },
      h("span", { text: "登录已过期,需要重新登录才能同步。未同步的数据已保留在本机。" }), button));
  }
  if (state.oldestUnsynced && Date.now() - state.oldestUnsynced > STALE_MS) {
    const days = Math.floor((Date.now() - state.oldestUnsynced) / (24 * 3600 * 1000));
    list.push(h("div", { class: "banner danger", role: "alert", id: "stale-warning" },
      h("strong", { text: `有数据已 ${days} 天未同步!` }),
      h("span", { text: "部分手机(如 iPhone)会清除 7 天未打开网站的存储。请尽快联网同步,或先导出未同步数据。" })));
  }
  if (state.attention) {
    list.push(h("div", { class: "banner warn" },
      h("span", { text: `${state.attention} 项需要处理 ` }),
      h("a", { href: "#/outbox", text: "查看" })));
  }
  if (state.othersUnsynced) {
    list.push(h("div", { class: "banner info" }, h("span", {
      text: `本机还有 ${state.othersUnsynced} 项属于其他账号的未同步数据,需原账号登录后同步。` })));
  }
  return list;
}

/** Plans (entity `plan`) with their sites (entity `site`). */
async function planList() {
  const plans = (await recordsOf("plan"))
    .sort((a, b) => String(a.data.window_start).localeCompare(String(b.data.window_start)));
  if (!plans.length) {
    return h("p", { class: "empty" }, state.lastSync ? "暂无分配的督查计划"
      : "暂无分配的督查计划(联网同步后显示)");
  }
  const sites = new Map((await recordsOf("site")).map((s) => [s.id, s]));
  const visits = await recordsOf("visit");
  const visited = new Set(visits.map((v) => `${v.data.plan_id}:${v.data.site_id}`));
  const waiting = await siteSyncStates(visits);
  return h("ul", { class: "plans" }, plans.map((plan) => {
    const p = plan.data;
    const planSites = (p.site_ids || []).map((id) => sites.get(id)).filter(Boolean);
    return h("li", { class: "plan", dataset: { plan: plan.id } },
      h("div", { class: "plan-head" },
        h("strong", { text: p.title }),
        h("span", { class: "tag", text: GLOSSARY.plan_modes[p.mode] || p.mode || "" })),
      h("p", { class: "muted small",
        text: `${p.code || ""} · ${fmtDate(p.window_start)} 至 ${fmtDate(p.window_end)}`
          + (p.status ? ` · ${GLOSSARY.plan_statuses[p.status] || p.status}` : "") }),
      p.matter ? h("p", { class: "small matter", text: `督查事项:${p.matter}` }) : null,
      planSites.length
        ? h("ul", { class: "sites" }, planSites.map((site) => h("li", {},
          h("a", { class: "site-link", href: `#/site/${plan.id}/${site.id}` },
            h("span", { class: "site-name", text: site.data.name }),
            h("span", { class: "muted small", text: site.data.address || "" }),
            h("span", { class: "site-tags" },
              visited.has(`${plan.id}:${site.id}`) ? h("span", { class: "tag ok", text: "已签到" }) : null,
              siteSyncTag(waiting.get(`${plan.id}:${site.id}`)))))))
        : h("p", { class: "empty small", text: "该计划暂无点位" }));
  }));
}

/** Per "plan:site", the worst sync state of what was recorded there (check-ins,
 * findings, interviews and their photos): "pending" or "attention"; absent when synced. */
async function siteSyncStates(visits) {
  const states = await recordStates();
  const visitSite = new Map(visits.map((v) => [v.id, `${v.data.plan_id}:${v.data.site_id}`]));
  const place = new Map(visits.map((v) => [`visit:${v.id}`, visitSite.get(v.id)]));
  for (const f of await recordsOf("finding")) {
    place.set(`finding:${f.id}`, `${f.data.plan_id}:${f.data.site_id}`);
  }
  for (const i of await recordsOf("interview")) {
    place.set(`interview:${i.id}`, visitSite.get(i.data.visit_id));
  }
  for (const p of await recordsOf("photo")) {
    place.set(`photo:${p.id}`, place.get(`${p.data.parent_type}:${p.data.parent_id}`));
  }
  const worst = new Map();
  for (const [key, st] of states) {
    const where = place.get(key);
    if (!where) continue;
    if (st !== "pending" || !worst.has(where)) worst.set(where, st === "pending" ? st : "attention");
  }
  return worst;
}

function siteSyncTag(st) {
  if (st === "attention") return h("span", { class: "tag warn site-sync", text: "需要处理" });
  if (st === "pending") return h("span", { class: "tag pending site-sync", text: "等待同步" });
  return null;
}

/** Status of a task as the inspector sees it: a report saved on the device counts. */
export function taskStatus(task) {
  if (isEnded(task)) return { label: "复查已结束", cls: "tag warn" };
  const reported = task.data.status === "reported" || Boolean(task.data.report?.trim());
  return reported ? { label: GLOSSARY.verification_statuses.reported, cls: "tag ok" }
    : { label: GLOSSARY.verification_statuses.assigned, cls: "tag" };
}

/** 回头看 tasks (entity `verification`) sent to this inspector. */
async function verificationItems() {
  const tasks = await verificationList();
  if (!tasks.length) {
    return h("p", { class: "empty" }, state.lastSync ? "暂无回头看任务"
      : "暂无回头看任务(联网同步后显示)");
  }
  const states = await recordStates();
  const photos = (await recordsOf("photo")).filter((p) => p.data.parent_type === "verification");
  return h("ul", { class: "sites tasks" }, tasks.map((task) => {
    const d = task.data;
    const status = taskStatus(task);
    const keys = [`verification:${task.id}`, ...photos
      .filter((p) => p.data.parent_id === task.id).map((p) => `photo:${p.id}`)];
    const unsynced = keys.some((k) => states.has(k));
    const attention = keys.some((k) => ["attention", "refused"].includes(states.get(k)));
    return h("li", { dataset: { verification: task.id } },
      h("a", { class: "site-link task-link", href: `#/verification/${task.id}` },
        h("span", { class: "muted small", text: d.code || "" }),
        h("span", { class: "site-name task-problem", text: d.title || d.problem || "" }),
        h("span", { class: "muted small", text: d.site ? d.site.name : "未关联点位" }),
        h("span", { class: "task-tags" },
          h("span", { class: `${status.cls} task-status`, text: status.label }),
          attention ? h("span", { class: "tag warn", text: "需要处理" })
            : unsynced ? h("span", { class: "tag pending", text: "待同步" }) : null)));
  }));
}

async function storageInfo() {
  if (!navigator.storage?.estimate) return "此浏览器无法查询存储空间";
  const { usage, quota } = await navigator.storage.estimate();
  const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
  const pct = quota ? ((100 * usage) / quota).toFixed(1) : "?";
  return `已用 ${fmtBytes(usage)} / 可用 ${fmtBytes(quota)}(${pct}%)· `
    + (persisted ? "已申请持久存储" : "未获持久存储授权,系统空间不足时可能被清除");
}

/** Fill the static home skeleton of index.html. */
export async function renderHome({ onRelogin }) {
  const user = state.user;
  if (!user) return;
  $("home-user").textContent = `${user.display_name} · ${user.role_label || ""} · ${user.unit_name || ""}`;
  replace($("home-banners"), banners(onRelogin));
  const net = $("home-net");
  net.textContent = CONNECTIVITY_LABELS[state.connectivity];
  net.className = `net-text net-${state.connectivity}`;
  $("home-outbox").textContent = state.attention
    ? `${state.unsynced} 项(${state.attention} 项需要处理)` : `${state.unsynced} 项`;
  $("home-last-sync").textContent = state.lastSync ? fmtTime(state.lastSync) : "尚未同步";
  const syncError = $("home-sync-error");
  syncError.hidden = !state.lastError && state.connectivity !== "offline";
  if (state.connectivity === "offline") {
    syncError.className = "muted small";
    syncError.textContent = "当前离线:记录已保存在本机,联网后自动同步";
  } else {
    syncError.className = "error small";
    syncError.textContent = state.lastError ? `同步未完成:${state.lastError}` : "";
  }
  const syncButton = $("sync-button");
  syncButton.disabled = state.syncing || state.sessionExpired;
  syncButton.textContent = state.syncing ? "正在同步…" : "立即同步";
  replace($("verification-list"), await verificationItems());
  replace($("plan-list"), await planList());
  $("storage-info").textContent = await storageInfo();
}

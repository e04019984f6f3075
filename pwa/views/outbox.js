// The outbox as the inspector sees it: every change with its state (等待同步 / 正在发送 /
// 已同步 / 需要处理), photo uploads with their progress, and what to do about conflicts
// and rejections. Also the last-resort export of everything not yet synced.

import { GLOSSARY } from "/glossary.js";
import { get, getAll, getMeta, recordsOf } from "../db.js";
import { base64FromBytes } from "../hash.js";
import { isUnsynced } from "../outbox/mutations.js";
import { discardItem, keepServer, reapplyLocal, retryRejected } from "../outbox/resolve.js";
import { listOutbox, watchOutbox } from "../outbox/status.js";
import { state } from "../state.js";
import {
  REFUSED_MESSAGE, progress, removeRefusedPhoto, retryUpload, serverCopy,
} from "../uploads.js";
import { busy, fmtBytes, fmtTime, h, opinionLabel, replace, stateBadge } from "./dom.js";

function summaryOf(item) {
  const d = item.data || {};
  if (item.entity === "finding") return d.title || "";
  if (item.entity === "visit") return `签到 ${fmtTime(d.arrived_at)}`;
  if (item.entity === "interview") return (d.summary || "").slice(0, 30);
  if (item.entity === "photo") {
    return `${d.parent_type === "verification" ? "整改后照片 · " : ""}${fmtBytes(d.size_bytes)}`
      + ` · ${d.mime_type || ""}`;
  }
  if (item.entity === "verification") {
    return `${d.report ? d.report.slice(0, 30) : "(复查情况未填写)"}`
      + `${"opinion" in d ? ` · ${opinionLabel(d.opinion)}` : ""}`;
  }
  return item.id;
}

function show(value, key) {
  if (key === "opinion") return opinionLabel(value);
  if (value === null || value === undefined || value === "") return "—";
  if (key === "severity") return GLOSSARY.severities[value] || value;
  if (key === "interviewee_kind") return GLOSSARY.interviewee_kinds[value] || value;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Local vs server copy, field by field (differences marked). */
function comparison(item) {
  const local = item.data || {};
  const server = item.server?.data || {};
  // An update carries only the fields it changes: compare those. A create compares all
  // the fields a person can judge (not ids and bookkeeping).
  const hiddenKeys = ["created_by", "created_at", "updated_at", "plan_id", "site_id",
    "visit_id", "parent_id", "locked", "content_status", "content_error"];
  const keys = item.op === "update" ? Object.keys(local)
    : [...new Set([...Object.keys(local), ...Object.keys(server)])]
      .filter((k) => !hiddenKeys.includes(k));
  return h("table", { class: "compare" },
    h("thead", {}, h("tr", {}, h("th", { text: "字段" }), h("th", { text: "本机版本" }),
      h("th", { text: `服务器版本(v${item.server?.version ?? "?"})` }))),
    h("tbody", {}, keys.map((k) => h("tr", { class: show(local[k], k) === show(server[k], k) ? "" : "diff" },
      h("th", { text: GLOSSARY.record_fields[k] || k }),
      h("td", { text: k in local ? show(local[k], k) : "—" }),
      h("td", { text: show(server[k], k) })))));
}

function itemActions(item, rerender) {
  const act = (label, fn, cls = "secondary", confirmText = null) => {
    const button = h("button", { type: "button", class: cls, text: label });
    button.addEventListener("click", async () => {
      if (confirmText && !window.confirm(confirmText)) return;
      const restore = busy(button, "正在处理…");
      try { await fn(item.seq); } finally { restore(); }
      rerender(true);
    });
    return button;
  };
  if (item.reason === "conflict" && item.server) {
    return h("div", { class: "actions" },
      act("保留服务器版本", keepServer),
      act("重新提交本机版本", reapplyLocal, ""));
  }
  return h("div", { class: "actions" },
    act("重新提交", retryRejected, ""),
    act("放弃此项", discardItem, "secondary danger",
      "放弃后此项不会再同步到服务器(仍可在导出的数据中找到)。确定放弃吗?"));
}

/** A photo the server could not decode: the local copy, why, and the inspector's removal. */
function refusedRow(upload, bytes, urls) {
  const url = bytes ? URL.createObjectURL(new Blob([bytes.bytes], { type: bytes.mime_type })) : null;
  if (url) urls.push(url);
  const remove = h("button", { type: "button", class: "secondary danger", text: "移除照片" });
  remove.addEventListener("click", async () => {
    if (!window.confirm("移除后这张照片将从本机删除。确定移除吗?")) return;
    busy(remove, "正在移除…");
    await removeRefusedPhoto(upload.photo_id); // the outbox watcher redraws the list
  });
  const img = url ? h("img", { src: url, alt: "被拒收的照片", class: "thumb" }) : null;
  // The browser often cannot show it either: a placeholder, not a broken image.
  img?.addEventListener("error", () => img.replaceWith(h("span", { class: "thumb thumb-none",
    text: "无法显示" })));
  return h("div", { class: "upload refused", dataset: { photo: upload.photo_id } },
    img,
    h("p", { class: "error photo-refused", role: "alert" }, h("strong", { text: REFUSED_MESSAGE }),
      upload.error ? h("span", { class: "small", text: `(${upload.error})` }) : null),
    h("p", { class: "muted small", text: "照片仍保存在本机,移除前不会删除。" }),
    h("div", { class: "actions" },
      h("a", { class: "button", href: `#/retake/${upload.photo_id}`, text: "重新拍摄" }),
      remove));
}

function uploadRow(upload, rerender) {
  const pct = upload.size ? Math.floor((100 * (upload.offset || 0)) / upload.size) : 0;
  const bar = h("progress", { max: 100, value: upload.state === "done" ? 100 : pct });
  const label = h("span", { class: "pct", text: `${upload.state === "done" ? 100 : pct}%` });
  const row = h("div", { class: "upload", dataset: { photo: upload.photo_id } },
    h("span", { class: "small", text: "照片上传" }), bar, label, stateBadge(upload.state));
  if (upload.state === "attention") {
    row.append(h("p", { class: "error", text: upload.error || "上传失败" }));
    const again = h("button", { type: "button", class: "secondary", text: "重新上传" });
    again.addEventListener("click", async () => { await retryUpload(upload.photo_id); rerender(true); });
    row.append(again);
  } else if (upload.error && upload.state === "waiting") {
    row.append(h("p", { class: "muted small", text: `上次中断:${upload.error},稍后自动续传` }));
  }
  return row;
}

function summaryText(items, uploads) {
  const records = items.filter(isUnsynced);
  const photos = uploads.filter((u) => u.state !== "done" && u.state !== "refused");
  const refused = uploads.filter((u) => u.state === "refused");
  if (!records.length && !photos.length && !refused.length) return "全部已同步";
  const parts = [];
  if (records.length) parts.push(`${records.length} 项记录尚未同步`);
  if (photos.length) parts.push(`${photos.length} 张照片尚未上传`);
  if (refused.length) parts.push(`${refused.length} 张照片服务器无法识别,需要重新拍摄`);
  return parts.join(",");
}

/** What the server made of an uploaded photo (from pull): refused or failed, with why.
 * A copy pulled while the device still had work on the photo (its upload not yet
 * confirmed) is kept apart, in `server_data`, and is then the newest the device knows:
 * the server may never send the photo again. Only the server sets content_status. */
function serverOutcome(record) {
  const d = serverCopy(record);
  if (!d) return null;
  if (d.content_status === "failed") {
    return h("p", { class: "error photo-outcome", text: `服务器处理失败:${d.content_error || "原因不明"}(原图已保存,管理员可重试)` });
  }
  if (d.content_status === "invalid") {
    return h("p", { class: "error photo-outcome", text: `照片被拒收:${d.content_error || GLOSSARY.content_statuses.invalid}` });
  }
  if (d.content_status === "processing") {
    return h("p", { class: "muted small photo-outcome", text: "服务器正在处理照片" });
  }
  return null;
}

/** Everything the page shows, read at once; `signature` changes only when the page would
 * (upload progress is drawn in place, without a redraw). */
async function outboxView() {
  const { items, uploads } = await listOutbox();
  const photoRecords = new Map((await recordsOf("photo")).map((r) => [r.id, r]));
  const refused = uploads.filter((u) => u.state === "refused").map((u) => u.photo_id);
  const bytes = new Map();
  for (const id of refused) bytes.set(id, await get("photo_bytes", id));
  const signature = JSON.stringify([
    items.map((i) => [i.seq, i.state, i.error]),
    uploads.map((u) => [u.photo_id, u.state, u.error]),
    [...photoRecords.values()].map((r) => [r.id, serverCopy(r)?.content_status]),
  ]);
  return { items, uploads, photoRecords, bytes, signature };
}

export async function renderOutbox(root, _params, { afterCapture }) {
  let drawn = null;
  const urls = [];
  // An action's write redraws the page through the outbox watcher; `sync` also starts a sync.
  const rerender = (sync) => { if (sync) afterCapture(); };
  const draw = async () => {
    const view = await outboxView();
    if (view.signature === drawn) return;
    drawn = view.signature;
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
    drawOutbox(root, view, rerender, urls);
  };
  await draw();
  const stop = watchOutbox(draw);

  // Live progress of photo uploads without re-rendering the list.
  const onProgress = (event) => {
    const row = root.querySelector(`.upload[data-photo="${event.photoId}"]`);
    if (!row?.querySelector("progress")) return;
    const pct = event.size ? Math.floor((100 * event.offset) / event.size) : 0;
    row.querySelector("progress").value = event.state === "done" ? 100 : pct;
    row.querySelector(".pct").textContent = `${event.state === "done" ? 100 : pct}%`;
    row.querySelector(".badge").replaceWith(stateBadge(event.state));
  };
  progress.addEventListener("progress", onProgress);
  return () => {
    stop();
    progress.removeEventListener("progress", onProgress);
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  };
}

function drawOutbox(root, { items, uploads, photoRecords, bytes }, rerender, urls) {
  const byPhoto = new Map(uploads.map((u) => [u.photo_id, u]));
  // A photo whose record is synced but whose content is not uploaded yet is still open.
  const uploading = (i) => i.entity === "photo" && i.op === "create" && i.state === "synced"
    && byPhoto.has(i.id) && byPhoto.get(i.id).state !== "done";
  const open = items.filter((i) => isUnsynced(i) || uploading(i));
  const done = items.filter((i) => !isUnsynced(i) && !uploading(i));

  const card = (item) => {
    const upload = item.entity === "photo" && item.op === "create" ? byPhoto.get(item.id) : null;
    const mine = !state.user || item.user_id === state.user.id;
    // The record is synced but its photo content is not: the upload's state is what counts.
    const shown = uploading(item) ? upload.state : item.state;
    const refused = upload?.state === "refused";
    return h("li", { class: `outbox-item state-${shown}`, dataset: { seq: item.seq } },
      h("div", { class: "outbox-head" },
        h("strong", { text: `${GLOSSARY.records[item.entity] || item.entity} · ${GLOSSARY.mutation_ops[item.op] || item.op}` }),
        stateBadge(shown)),
      h("p", { class: "small", text: summaryOf(item) }),
      h("p", { class: "muted small", text: `记录于 ${fmtTime(item.created_at)}${mine ? "" : " · 属于其他账号"}` }),
      item.state === "attention" ? h("p", { class: "error", text: item.error || "需要处理" }) : null,
      item.state === "attention" && item.reason === "conflict" ? comparison(item) : null,
      item.state === "attention" && mine ? itemActions(item, rerender) : null,
      refused ? refusedRow(upload, bytes.get(upload.photo_id), urls)
        : upload ? uploadRow(upload, rerender) : null,
      item.entity === "photo" && !refused ? serverOutcome(photoRecords.get(item.id)) : null);
  };

  const exportButton = h("button", { type: "button", class: "secondary", text: "导出未同步数据" });
  exportButton.addEventListener("click", () => exportUnsynced(exportButton));

  replace(root,
    h("a", { class: "back", href: "#/" }, "‹ 返回"),
    h("div", { class: "card" },
      h("h1", { text: "待同步" }),
      h("p", { class: "muted", id: "outbox-summary", text: summaryText(items, uploads) }),
      open.length ? h("ul", { class: "outbox", id: "outbox-open" }, open.map(card))
        : h("p", { class: "empty", text: "没有待同步的记录" }),
      exportButton),
    done.length ? h("div", { class: "card" }, h("h2", { text: "最近已同步" }),
      h("ul", { class: "outbox", id: "outbox-done" }, done.slice(0, 50).map(card))) : null);
}

/** Download every unsynced record and outbox entry as JSON (photos base64-encoded). */
export async function exportUnsynced(button) {
  const restore = button ? busy(button, "正在导出…") : () => {};
  try {
    const { items, uploads } = await listOutbox();
    const open = items.filter(isUnsynced);
    const openUploads = uploads.filter((u) => u.state !== "done");
    const keys = new Set([...open.map((i) => `${i.entity}:${i.id}`),
      ...openUploads.map((u) => `photo:${u.photo_id}`)]);
    const records = (await getAll("records")).filter((r) => keys.has(`${r.entity}:${r.id}`));
    const photoIds = new Set(openUploads.map((u) => u.photo_id));
    const photos = (await getAll("photo_bytes")).filter((p) => photoIds.has(p.id)).map((p) => ({
      id: p.id, filename: p.filename, mime_type: p.mime_type, size_bytes: p.bytes.byteLength,
      content_base64: base64FromBytes(p.bytes),
    }));
    const payload = {
      format: "zhicha-unsynced-export/1",
      exported_at: new Date().toISOString(),
      device_id: await getMeta("device_id"),
      user: state.user ? { id: state.user.id, username: state.user.username,
        display_name: state.user.display_name } : null,
      outbox: open, uploads: openUploads, records, photos,
    };
    const blob = new Blob([JSON.stringify(payload, null, 1)], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    const link = h("a", { href: url, download: `zhicha-unsynced-${stamp}.json`, class: "visually-hidden" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } finally {
    restore();
  }
}

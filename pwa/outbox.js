// The outbox: every local change is a mutation written in the SAME IndexedDB transaction as
// the record it changes, so a record never exists without the mutation that will send it
// (and the reverse). Mutations keep their mutation_id for ever: a retry after a failed
// request resends the same ids, which the server answers idempotently.

import { req, transaction } from "./db.js";
import { uuid } from "./hash.js";

const UNSYNCED = new Set(["pending", "sending", "attention"]);
const SYNCED_KEEP_MS = 3 * 24 * 3600 * 1000; // synced items stay visible for 3 days

export const isUnsynced = (item) => UNSYNCED.has(item.state);

/** Local time as ISO 8601 with the device's UTC offset, e.g. 2026-11-20T09:14:03.120+08:00. */
export function nowIso(date = new Date()) {
  const pad = (n, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
    + `.${pad(date.getMilliseconds(), 3)}${sign}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

async function unsyncedFor(stores, entity, id) {
  const items = await req(stores.outbox.index("record").getAll([entity, id]));
  return items.filter(isUnsynced);
}

// A 回头看 task (entity `verification`) is on the device while it is open on the server.
export const OPEN_VERIFICATION = new Set(["assigned", "reported"]);

/** The server's copy says this record is over for the device (a decided or cancelled
 * 回头看 task), even if the server still sends it. */
export function endedOnServer(entity, data) {
  return entity === "verification" && !OPEN_VERIFICATION.has(data?.status);
}

/**
 * True while this device holds work on the record that the server has not confirmed:
 * its own unsynced mutations and, for a record photos hang on, unsynced photos of it
 * (their record or their bytes). Needs stores outbox and uploads.
 */
export async function hasUnsyncedWork(stores, entity, id) {
  if ((await unsyncedFor(stores, entity, id)).length) return true;
  if (entity !== "verification") return false;
  const uploads = await req(stores.uploads.getAll());
  const open = new Set(uploads.filter((u) => u.state !== "done").map((u) => u.photo_id));
  const items = await req(stores.outbox.getAll());
  return items.some((i) => i.entity === "photo" && i.data?.parent_type === entity
    && i.data?.parent_id === id && (isUnsynced(i) || open.has(i.id)));
}

function newMutation(userId, { entity, op, id, data, base_version = null }) {
  return {
    mutation_id: uuid(), user_id: userId, entity, op, id, base_version,
    data: data ?? null, client_time: nowIso(), created_at: Date.now(), state: "pending",
  };
}

/**
 * Save changes and their mutations in one readwrite transaction.
 * changes: [{entity, op: "create"|"update"|"delete", id, data, base_version,
 *            photo?: {bytes: ArrayBuffer, filename, mime_type}, chain?: true}]
 * `chain`: an update based on the version the updates still queued for the record will
 * leave (a report saved twice offline), not on the last version the device saw.
 * Everything must be computed (hashes, positions) BEFORE: the transaction may not await
 * anything but IndexedDB.
 */
export function capture(userId, changes) {
  return transaction(["records", "outbox", "photo_bytes", "uploads"], "readwrite", async (s) => {
    for (const change of changes) {
      const key = [change.entity, change.id];
      const existing = await req(s.records.get(key));
      let record;
      if (change.op === "create") {
        record = { entity: change.entity, id: change.id, version: null, data: change.data,
          owner: userId };
      } else if (change.op === "update") {
        record = { ...existing, data: { ...(existing?.data || {}), ...change.data } };
      } else {
        record = { ...existing, deleted: true };
      }
      record.updated_at = Date.now();
      await req(s.records.put(record));
      let base = change.op === "create" ? null : (change.base_version ?? existing?.version ?? null);
      if (change.chain && base !== null) {
        // Updates queued before this one and not yet confirmed will each raise the server's
        // version by one when they are applied (in order, in the same push): this one is
        // based on the version they leave. If one of them fails, this one is a conflict,
        // shown to the inspector, never applied over a version it did not see.
        const queued = (await unsyncedFor(s, change.entity, change.id))
          .filter((i) => i.op === "update" && i.state !== "attention");
        base += queued.length;
      }
      await req(s.outbox.add(newMutation(userId, { ...change, base_version: base })));
      if (change.photo) {
        await req(s.photo_bytes.put({ id: change.id, ...change.photo }));
        await req(s.uploads.put({
          photo_id: change.id, user_id: userId, url: null, offset: 0,
          size: change.photo.bytes.byteLength, state: "waiting", created_at: Date.now(),
        }));
      }
    }
  });
}

/** All outbox items, newest first, and all upload rows. */
export function listOutbox() {
  return transaction(["outbox", "uploads"], "readonly", async (s) => {
    const items = await req(s.outbox.getAll());
    const uploads = await req(s.uploads.getAll());
    return { items: items.reverse(), uploads };
  });
}

/** Counts for the home screen and the test hook. Photo uploads not yet done are
 * unsynced work as well: the photo's bytes are only on this device. */
export async function outboxSummary(userId) {
  const { items, uploads } = await listOutbox();
  const mine = (row) => userId == null || row.user_id === userId;
  const unsyncedItems = items.filter((i) => mine(i) && isUnsynced(i));
  const openUploads = uploads.filter((u) => mine(u) && u.state !== "done");
  const others = items.filter((i) => !mine(i) && isUnsynced(i)).length
    + uploads.filter((u) => !mine(u) && u.state !== "done").length;
  const times = [...unsyncedItems.map((i) => i.created_at), ...openUploads.map((u) => u.created_at)];
  return {
    unsynced: unsyncedItems.length + openUploads.length,
    attention: unsyncedItems.filter((i) => i.state === "attention").length
      + openUploads.filter((u) => u.state === "attention").length,
    oldest: times.length ? Math.min(...times) : null,
    others,
  };
}

/** The next mutations to push for this user, in order (a crashed "sending" is resent). */
export async function nextBatch(userId, limit) {
  const items = await transaction("outbox", "readonly", (s) => req(s.outbox.getAll()));
  return items
    .filter((i) => i.user_id === userId && (i.state === "pending" || i.state === "sending"))
    .slice(0, limit);
}

export function setItemsState(seqs, state) {
  return transaction("outbox", "readwrite", async (s) => {
    for (const seq of seqs) {
      const item = await req(s.outbox.get(seq));
      if (item && isUnsynced(item)) await req(s.outbox.put({ ...item, state }));
    }
  });
}

const FIELD_NAMES = {
  title: "标题", description: "描述", category: "类别", severity: "严重程度", unit_id: "建议责任单位",
  plan_id: "督查计划", site_id: "点位", visit_id: "签到", note: "备注", summary: "走访内容",
  interviewee_kind: "走访对象", arrived_at: "签到时间", observed_at: "发现时间",
  captured_at: "拍摄时间", lat: "纬度", lon: "经度", accuracy_m: "定位精度", sha256: "SHA-256",
  size_bytes: "文件大小", mime_type: "文件类型", parent_id: "所属记录", report: "复查情况",
  opinion: "复查意见",
};

function describeErrors(errors) {
  if (!errors) return "服务器拒绝了此项";
  const fields = errors.fields && typeof errors.fields === "object"
    ? Object.entries(errors.fields)
      .map(([k, v]) => `${FIELD_NAMES[k] || k}:${[].concat(v)
        .map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(",")}`).join(";")
    : "";
  return [errors.message || errors.code || "服务器拒绝了此项", fields].filter(Boolean).join(" — ");
}

/** A single mutation the server refuses as too large (413): needs the inspector. */
export function markTooLarge(seq) {
  return transaction("outbox", "readwrite", async (s) => {
    const item = await req(s.outbox.get(seq));
    if (item) {
      await req(s.outbox.put({ ...item, state: "attention", reason: "rejected",
        error: "此项数据超过服务器允许的大小(413),无法同步;请导出未同步数据后联系管理员" }));
    }
  });
}

/** Apply a push answer: one result per mutation, matched by mutation_id. */
export function applyPushResults(batch, results) {
  const byId = new Map(results.map((r) => [r.mutation_id, r]));
  return transaction(["outbox", "records"], "readwrite", async (s) => {
    for (const sent of batch) {
      const item = await req(s.outbox.get(sent.seq));
      const result = byId.get(sent.mutation_id);
      if (!item) continue;
      if (!result) { // not answered: keep it for the next push
        await req(s.outbox.put({ ...item, state: "pending" }));
        continue;
      }
      const record = await req(s.records.get([item.entity, item.id]));
      if (result.status === "applied" || result.status === "duplicate") {
        await req(s.outbox.put({ ...item, state: "synced", result_version: result.version,
          synced_at: Date.now(), reason: null, error: null }));
        if (record) await req(s.records.put({ ...record, version: result.version ?? record.version }));
      } else if ((result.status === "conflict" && result.server
        && endedOnServer(item.entity, result.server.data))
        || (result.status === "rejected" && result.errors?.code === "verification_ended")) {
        // Nothing to merge with: the record is over on the server (a 回头看 task decided or
        // called off meanwhile). Kept on the device, shown, never sent again by itself.
        await req(s.outbox.put({ ...item, state: "attention", reason: "rejected",
          error_code: "ended", server: result.server || null,
          error: "该复查已结束(督查室已作出结论或已撤销),本机的"
            + (item.entity === "photo" ? "整改后照片" : "复查报告") + "无法再提交。"
            + "可导出未同步数据保存,或放弃此项。" }));
      } else if (result.status === "conflict") {
        await req(s.outbox.put({ ...item, state: "attention", reason: "conflict",
          error: "服务器上的记录已被修改,需要选择保留哪个版本", server: result.server || null }));
      } else {
        await req(s.outbox.put({ ...item, state: "attention", reason: "rejected",
          error: describeErrors(result.errors), error_code: result.errors?.code || null }));
      }
    }
  });
}

/** Apply one pull page and store its cursor in the same transaction. */
export function applyPullPage(changes, cursor) {
  const stores = ["records", "outbox", "uploads", "photo_bytes", "meta"];
  return transaction(stores, "readwrite", async (s) => {
    for (const change of changes) {
      const key = [change.entity, change.id];
      let busy = await hasUnsyncedWork(s, change.entity, change.id);
      if (!busy && change.entity === "photo") {
        const upload = await req(s.uploads.get(change.id));
        busy = Boolean(upload) && upload.state !== "done";
      }
      const existing = await req(s.records.get(key));
      const ended = change.op === "delete" || endedOnServer(change.entity, change.data);
      if (ended) {
        // Never delete what still has unsynced work on this device: keep it, marked gone
        // (a 回头看 task decided meanwhile shows as ended, its report still on the device).
        if (busy && existing) {
          await req(s.records.put({ ...existing, gone: true,
            ...(change.op === "delete" ? {} : { server_data: change.data,
              server_version: change.version }) }));
        } else if (existing) {
          await req(s.records.delete(key));
        }
        continue;
      }
      if (busy && existing) {
        // Local changes not yet confirmed: keep them, remember the server copy.
        await req(s.records.put({ ...existing, server_data: change.data,
          server_version: change.version, gone: false }));
      } else {
        await req(s.records.put({
          entity: change.entity, id: change.id, version: change.version, data: change.data,
          owner: change.data?.created_by ?? existing?.owner ?? null, updated_at: Date.now(),
        }));
      }
    }
    await req(s.meta.put({ key: "cursor", value: cursor }));
  });
}

/** Conflict: take the server's copy; the local mutation is closed, not resent. */
export function keepServer(seq) {
  return transaction(["outbox", "records"], "readwrite", async (s) => {
    const item = await req(s.outbox.get(seq));
    if (!item?.server) return;
    await req(s.records.put({
      entity: item.entity, id: item.id, version: item.server.version, data: item.server.data,
      owner: item.user_id, updated_at: Date.now(),
    }));
    await req(s.outbox.put({ ...item, state: "resolved", resolution: "kept_server" }));
  });
}

/** Conflict: re-apply the local change on top of the server's version, as a NEW mutation
 * (new mutation_id, base_version = the server's version). */
export function reapplyLocal(seq) {
  return transaction(["outbox", "records"], "readwrite", async (s) => {
    const item = await req(s.outbox.get(seq));
    if (!item?.server) return;
    let op = item.op;
    let data = item.data;
    if (op === "create") {
      // The record exists on the server: send what differs from its copy, as an update.
      op = "update";
      const server = item.server.data || {};
      data = Object.fromEntries(Object.entries(item.data || {})
        .filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(server[k])));
    }
    await req(s.outbox.put({ ...item, state: "resolved", resolution: "reapplied" }));
    if (op === "update" && !Object.keys(data || {}).length) return; // nothing differs
    await req(s.outbox.add(newMutation(item.user_id, {
      entity: item.entity, op, id: item.id, data, base_version: item.server.version,
    })));
  });
}

/** Rejected: send the same change again as a new mutation (e.g. after the cause is fixed). */
export function retryRejected(seq) {
  return transaction("outbox", "readwrite", async (s) => {
    const item = await req(s.outbox.get(seq));
    if (!item || item.state !== "attention") return;
    await req(s.outbox.put({ ...item, state: "resolved", resolution: "retried" }));
    await req(s.outbox.add(newMutation(item.user_id, item)));
  });
}

/** The inspector's explicit decision to give up an item (never done silently). */
export function discardItem(seq) {
  return transaction("outbox", "readwrite", async (s) => {
    const item = await req(s.outbox.get(seq));
    if (item) await req(s.outbox.put({ ...item, state: "resolved", resolution: "discarded" }));
  });
}

/** Forget synced items older than a few days (the outbox stays small). */
export function pruneSynced() {
  return transaction(["outbox", "uploads"], "readwrite", async (s) => {
    const cutoff = Date.now() - SYNCED_KEEP_MS;
    const uploads = await req(s.uploads.getAll());
    const openUploads = new Set(uploads.filter((u) => u.state !== "done").map((u) => u.photo_id));
    for (const u of uploads) {
      if (u.state === "done" && (u.done_at || 0) < cutoff) await req(s.uploads.delete(u.photo_id));
    }
    for (const item of await req(s.outbox.getAll())) {
      if ((item.state === "synced" || item.state === "resolved")
        && !(item.entity === "photo" && openUploads.has(item.id))
        && (item.synced_at || item.created_at) < cutoff) {
        await req(s.outbox.delete(item.seq));
      }
    }
  });
}

/** Sync state of one record as shown next to it. */
export async function recordStates() {
  const { items, uploads } = await listOutbox();
  const map = new Map();
  for (const item of items) {
    const key = `${item.entity}:${item.id}`;
    if (item.state === "attention") map.set(key, "attention");
    else if (isUnsynced(item) && map.get(key) !== "attention") map.set(key, "pending");
  }
  for (const u of uploads) {
    const key = `photo:${u.photo_id}`;
    if (u.state === "attention") map.set(key, "attention");
    else if (u.state !== "done" && !map.has(key)) map.set(key, "pending");
  }
  return map;
}

/**
 * On logout or a change of user: drop what the next person must not see (reference data:
 * plans are secret) and what the server already has. Unsynced work is never touched.
 */
export function clearSyncedData() {
  const stores = ["records", "outbox", "uploads", "meta", "photo_cache"];
  return transaction(stores, "readwrite", async (s) => {
    await req(s.photo_cache.clear()); // server copies of evidence: fetched again when needed
    const keep = new Set();
    for (const item of await req(s.outbox.getAll())) {
      if (isUnsynced(item)) keep.add(`${item.entity}:${item.id}`);
    }
    for (const u of await req(s.uploads.getAll())) {
      if (u.state !== "done") keep.add(`photo:${u.photo_id}`);
    }
    for (const record of await req(s.records.getAll())) {
      if (!keep.has(`${record.entity}:${record.id}`)) {
        await req(s.records.delete([record.entity, record.id]));
      }
    }
    await req(s.meta.delete("cursor"));
  });
}

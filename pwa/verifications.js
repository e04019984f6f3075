// 回头看 (follow-up verification) tasks on the device: an inspector sent back to a
// rectification item pulls the task (entity `verification`: the item's problem, measures,
// requirements, site and original photos) and pushes a report and "after" photos.
//
// - The original photos' server copies (thumbnail and display) are fetched while online and
//   kept in IndexedDB (store photo_cache, as ArrayBuffers like photo_bytes) so the task can
//   be done offline. They are dropped with the task.
// - A task the server has closed (decided, cancelled) leaves the device, unless it still
//   holds unsynced work: then it stays, marked ended, until that work is synced or given up.

import { authed } from "./api.js";
import { getAll, recordsOf, req, transaction } from "./db.js";
import { capture } from "./outbox/capture.js";
import { endedOnServer, hasUnsyncedWork } from "./outbox/mutations.js";

export const VARIANTS = ["thumbnail", "display"];

/** The task is over on the server (or no longer this inspector's). */
export const isEnded = (record) => Boolean(record.gone) || endedOnServer("verification", record.data);

/** Tasks on the device, open ones first, then by code. */
export async function verificationList() {
  const rows = await recordsOf("verification");
  return rows.sort((a, b) => isEnded(a) - isEnded(b)
    || String(a.data.code || "").localeCompare(String(b.data.code || "")));
}

/** Drop tasks the server has closed and that hold no unsynced work, with their synced
 * after photos' records and the cached copies of photos no open task refers to. */
export function pruneVerifications() {
  const stores = ["records", "outbox", "uploads", "photo_cache"];
  return transaction(stores, "readwrite", async (s) => {
    const tasks = await req(s.records.index("entity").getAll("verification"));
    const wanted = new Set();
    const kept = new Set();
    for (const task of tasks) {
      if (isEnded(task) && !(await hasUnsyncedWork(s, "verification", task.id))) {
        await req(s.records.delete(["verification", task.id]));
        continue;
      }
      kept.add(task.id);
      if (!isEnded(task)) {
        for (const photo of task.data.original_photos || []) wanted.add(photo.id);
      }
    }
    const uploads = await req(s.uploads.getAll());
    const open = new Set(uploads.filter((u) => u.state !== "done").map((u) => u.photo_id));
    for (const photo of await req(s.records.index("entity").getAll("photo"))) {
      if (photo.data?.parent_type !== "verification" || kept.has(photo.data.parent_id)) continue;
      if (open.has(photo.id) || (await hasUnsyncedWork(s, "photo", photo.id))) continue;
      await req(s.records.delete(["photo", photo.id]));
    }
    for (const key of await req(s.photo_cache.getAllKeys())) {
      if (!wanted.has(String(key).split(":")[0])) await req(s.photo_cache.delete(key));
    }
  });
}

/** The cached server copy of a photo, or null: {bytes, mime_type}. */
export function cachedPhoto(photoId, variant) {
  return transaction("photo_cache", "readonly", (s) =>
    req(s.photo_cache.get(`${photoId}:${variant}`)));
}

/**
 * Fetch what is missing of the original photos of the open tasks (online, during a sync).
 * A photo the server does not give (gone, not processed) is skipped and tried at the next
 * sync; a network failure ends the run (the sync is retried).
 */
export async function cacheOriginalPhotos() {
  const tasks = (await recordsOf("verification")).filter((t) => !isEnded(t));
  if (!tasks.length) return;
  const have = new Set((await getAll("photo_cache")).map((row) => row.key));
  for (const task of tasks) {
    for (const photo of task.data.original_photos || []) {
      for (const variant of VARIANTS) {
        const key = `${photo.id}:${variant}`;
        if (have.has(key)) continue;
        const response = await authed(`/api/photos/${encodeURIComponent(photo.id)}/${variant}`);
        if (!response.ok) continue;
        const bytes = await response.arrayBuffer();
        await transaction("photo_cache", "readwrite", (s) => req(s.photo_cache.put({
          key, photo_id: photo.id, variant, bytes,
          mime_type: response.headers.get("Content-Type") || "image/jpeg",
          fetched_at: Date.now(),
        })));
        have.add(key);
      }
    }
  }
}

/** The after photos of a task on this device (its own photo records), oldest first. */
export async function afterPhotos(verificationId) {
  return (await recordsOf("photo"))
    .filter((p) => !p.deleted && p.data.parent_type === "verification"
      && p.data.parent_id === verificationId)
    .sort((a, b) => String(a.data.captured_at).localeCompare(String(b.data.captured_at)));
}

/**
 * Save the inspector's report and new after photos in one transaction (outbox/capture.js).
 * `report` null: the report is unchanged, only photos are saved.
 */
export function saveReport(userId, verificationId, report, photoChangeList) {
  const changes = [];
  if (report) {
    changes.push({ entity: "verification", op: "update", id: verificationId, data: report,
      chain: true });
  }
  return capture(userId, [...changes, ...photoChangeList]);
}

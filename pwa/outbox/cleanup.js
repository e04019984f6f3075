// Housekeeping: the outbox stays small (synced items leave after a few days) and a change
// of user leaves nothing of the last one's data but their unsynced work.

import { req, transaction } from "../db.js";
import { isUnsynced } from "./mutations.js";

const SYNCED_KEEP_MS = 3 * 24 * 3600 * 1000; // synced items stay visible for 3 days

/** Forget synced items older than a few days (the outbox stays small). */
export function pruneSynced() {
  return transaction(["outbox", "uploads", "photo_bytes"], "readwrite", async (s) => {
    const cutoff = Date.now() - SYNCED_KEEP_MS;
    const uploads = await req(s.uploads.getAll());
    const openUploads = new Set(uploads.filter((u) => u.state !== "done").map((u) => u.photo_id));
    for (const u of uploads) {
      // Bytes still held wait for the server's verdict on them (uploads.js settleUploads).
      if (u.state === "done" && (u.done_at || 0) < cutoff
        && !(await req(s.photo_bytes.getKey(u.photo_id)))) {
        await req(s.uploads.delete(u.photo_id));
      }
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

// What the screens show of the outbox: the list, the counts on the home screen (and the
// test hook), and the sync state next to each record. Read only.

import { req, transaction } from "../db.js";
import { isUnsynced } from "./mutations.js";

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

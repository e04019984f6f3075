// What the screens show of the outbox: the list, the counts on the home screen (and the
// test hook), and the sync state next to each record. Read only; `watchOutbox` tells the
// screens when any of it may have changed.

import { req, transaction, writes } from "../db.js";
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
      + openUploads.filter((u) => u.state === "attention" || u.state === "refused").length,
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
    if (u.state === "attention" || u.state === "refused") map.set(key, u.state);
    else if (u.state !== "done" && !map.has(key)) map.set(key, "pending");
  }
  return map;
}

const WATCHED = ["outbox", "uploads", "records"];

/**
 * Call `listener` (async) after each committed write to the outbox, the uploads or the
 * records: a sync state shown on a screen follows the outbox as soon as it changes.
 * Writes during a run of the listener make one more run after it, never overlapping ones.
 * Returns the function that stops watching.
 */
export function watchOutbox(listener) {
  let running = false;
  let again = false;
  let stopped = false;
  async function run() {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        try { await listener(); } catch (err) { console.warn("outbox watcher failed", err); }
      } while (again && !stopped);
    } finally {
      running = false;
    }
  }
  const onWrite = (event) => {
    if (!stopped && event.stores.some((name) => WATCHED.includes(name))) run();
  };
  writes.addEventListener("write", onWrite);
  return () => { stopped = true; writes.removeEventListener("write", onWrite); };
}

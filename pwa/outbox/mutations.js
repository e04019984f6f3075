// The outbox's items: the mutations queued in IndexedDB (store `outbox`, see db.js), their
// states, and the question every other part asks of them: does this device still hold
// work on a record that the server has not confirmed? Mutations keep their mutation_id
// for ever: a retry after a failed request resends the same ids, which the server answers
// idempotently.

import { req } from "../db.js";
import { uuid } from "../hash.js";

const UNSYNCED = new Set(["pending", "sending", "attention"]);

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

/** A new mutation to queue, with a new mutation_id. */
export function newMutation(userId, { entity, op, id, data, base_version = null }) {
  return {
    mutation_id: uuid(), user_id: userId, entity, op, id, base_version,
    data: data ?? null, client_time: nowIso(), created_at: Date.now(), state: "pending",
  };
}

/** The record's mutations not yet confirmed. Needs store outbox. */
export async function unsyncedFor(stores, entity, id) {
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

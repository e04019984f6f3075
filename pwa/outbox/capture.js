// Capture: every local change is a mutation written in the SAME IndexedDB transaction as
// the record it changes, so a record never exists without the mutation that will send it
// (and the reverse). A photo's bytes and its upload row are written in that transaction too.

import { req, transaction } from "../db.js";
import { newMutation, unsyncedFor } from "./mutations.js";

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

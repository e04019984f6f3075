// The inspector's decisions on items that need attention (需要处理): a conflict is settled
// by keeping the server's copy or re-applying the local change on top of it; a rejection
// is sent again or given up. Nothing here happens without the inspector asking.

import { req, transaction } from "../db.js";
import { newMutation } from "./mutations.js";

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

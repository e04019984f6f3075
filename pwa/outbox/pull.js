// Pull bookkeeping: apply a page of server changes to the local records without ever
// losing work the device has not sent yet, and store the page's cursor with them.

import { req, transaction } from "../db.js";
import { endedOnServer, hasUnsyncedWork } from "./mutations.js";

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

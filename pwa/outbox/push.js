// Push bookkeeping: which mutations go next, their state while a push is under way, and
// what the server's answer makes of each (synced, a conflict or a rejection for the
// inspector). The requests themselves are sync.js's.

import { GLOSSARY } from "/glossary.js";
import { req, transaction } from "../db.js";
import { endedOnServer, isUnsynced } from "./mutations.js";

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

function describeErrors(errors) {
  if (!errors) return "服务器拒绝了此项";
  const fields = errors.fields && typeof errors.fields === "object"
    ? Object.entries(errors.fields)
      .map(([k, v]) => `${GLOSSARY.record_fields[k] || k}:${[].concat(v)
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

// Sync: push the outbox, pull changes, upload photo content, then keep the original photos
// of 回头看 tasks for offline use. One run at a time (a flag in this page, a Web Lock across
// tabs). Triggers: start, `online`, page visible again, after each capture, Background Sync
// where it exists, and a backoff timer (5 s doubling to 5 min, back to 5 s after a success).

import { AuthError, HttpError, authedJson, getAuth, refreshAccess } from "./api.js";
import { getAll, getMeta, setMeta } from "./db.js";
import { pruneSynced } from "./outbox/cleanup.js";
import { applyPullPage } from "./outbox/pull.js";
import { applyPushResults, markTooLarge, nextBatch, setItemsState } from "./outbox/push.js";
import { outboxSummary } from "./outbox/status.js";
import { uuid } from "./hash.js";
import { setState, state } from "./state.js";
import { metadataSynced, settleUploads, uploadPhoto } from "./uploads.js";
import { cacheOriginalPhotos, pruneVerifications } from "./verifications.js";

const BATCH = 100;
const PULL_LIMIT = 200;
const BACKOFF_MIN_MS = 5000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
const IDLE_PULL_MS = 5 * 60 * 1000;

let running = null;
let again = false;
let timer = null;
let backoff = BACKOFF_MIN_MS;

export async function deviceId() {
  let id = await getMeta("device_id");
  if (!id) {
    id = uuid();
    await setMeta("device_id", id);
  }
  return id;
}

/** Recount the outbox for the bar and the home screen (a change only when they differ:
 * this runs after every write to the outbox, upload progress included). */
export async function refreshCounts() {
  const summary = await outboxSummary(state.user?.id ?? null);
  const patch = { unsynced: summary.unsynced, attention: summary.attention,
    oldestUnsynced: summary.oldest, othersUnsynced: summary.others };
  if (Object.entries(patch).some(([key, value]) => state[key] !== value)) setState(patch);
  return summary;
}

function schedule(ms) {
  clearTimeout(timer);
  setState({ nextRetryAt: Date.now() + ms });
  timer = setTimeout(() => { syncNow(); }, ms);
}

async function push(userId, device) {
  let size = BATCH;
  for (;;) {
    const batch = await nextBatch(userId, size);
    if (!batch.length) return;
    await setItemsState(batch.map((i) => i.seq), "sending");
    let answer;
    try {
      answer = await authedJson("/api/sync/push", {
        method: "POST",
        body: {
          device_id: device,
          device_time: new Date().toISOString(),  // the server flags a wrong device clock
          mutations: batch.map((i) => ({
            mutation_id: i.mutation_id, entity: i.entity, op: i.op, id: i.id,
            base_version: i.base_version, data: i.data, client_time: i.client_time,
          })),
        },
      });
    } catch (err) {
      // Nothing is known: keep everything, resend the same mutation ids later.
      await setItemsState(batch.map((i) => i.seq), "pending");
      if (err.status === 413 && size > 1) { size = Math.max(1, Math.floor(size / 2)); continue; }
      if (err.status === 413) {
        // One mutation alone is over the server's limit: it can never pass as it is. Keep
        // it (export still has it), show it, and let the rest of the queue go on.
        await markTooLarge(batch[0].seq);
        continue;
      }
      throw err;
    }
    await applyPushResults(batch, answer.results || []);
    size = BATCH;
  }
}

async function pull() {
  let cursor = await getMeta("cursor");
  let restarted = false;
  for (;;) {
    const query = new URLSearchParams({ limit: String(PULL_LIMIT) });
    if (cursor) query.set("cursor", cursor);
    let page;
    try {
      page = await authedJson(`/api/sync/pull?${query}`);
    } catch (err) {
      // Only a cursor the server no longer accepts (malformed, tampered, another user's)
      // means "pull everything again", once. Any other refusal is a sync error the
      // inspector sees: re-pulling would hide it and fetch everything for nothing.
      if (err instanceof HttpError && err.code === "invalid_cursor" && !restarted) {
        restarted = true;
        cursor = null;
        await setMeta("cursor", null);
        continue;
      }
      throw err;
    }
    await applyPullPage(page.changes || [], page.cursor);
    cursor = page.cursor;
    if (!page.has_more) return;
  }
}

/** Upload what waits; resolves with how many uploads were completed. */
async function uploadAll(userId) {
  const rows = (await getAll("uploads"))
    .filter((u) => u.user_id === userId && (u.state === "waiting" || u.state === "uploading"));
  let completed = 0;
  for (const row of rows) {
    if (!(await metadataSynced(row.photo_id))) continue; // the photo record first
    const done = await uploadPhoto(row.photo_id);
    if (done?.state === "done") completed += 1;
  }
  return completed;
}

/** The server's upload limit (tus Tus-Max-Size), kept for checking photos offline. */
let limitLearned = false; // once per page load
async function learnUploadLimit() {
  if (limitLearned) return;
  try {
    const response = await fetch("/api/uploads", { method: "OPTIONS" });
    const max = Number.parseInt(response.headers.get("Tus-Max-Size") || "", 10);
    if (max > 0) await setMeta("upload_max_bytes", max);
    limitLearned = true;
  } catch { /* offline: the last known limit (or the default) stands */ }
}

async function runOnce() {
  const auth = await getAuth();
  if (!auth || state.sessionExpired) return;
  const userId = auth.user.id;
  setState({ syncing: true });
  try {
    await refreshAccess(); // a fresh access token before each sync
    await learnUploadLimit();
    await push(userId, await deviceId());
    await refreshCounts();
    await pull();
    await pruneVerifications(); // 回头看 tasks closed on the server leave (unsynced work stays)
    // The server judges uploaded photos (content_status): pull again for its verdict, then
    // free or keep the bytes accordingly.
    if (await uploadAll(userId)) await pull();
    await settleUploads();
    await cacheOriginalPhotos(); // so the tasks' original photos show offline
    await pruneSynced();
    const now = new Date().toISOString();
    await setMeta("last_sync", now);
    backoff = BACKOFF_MIN_MS;
    setState({ lastSync: now, lastError: null, connectivity: "online" });
    await refreshCounts();
    // Whatever is left now waits for the inspector (需要处理) or for a newer capture,
    // which triggers its own sync: only a periodic pull remains to do.
    schedule(IDLE_PULL_MS);
  } catch (err) {
    if (err instanceof AuthError) {
      clearTimeout(timer);
      setState({ lastError: "登录已过期,请重新登录后继续同步(未同步的数据已保留)" });
    } else {
      const message = err instanceof HttpError ? `${err.message}(${err.status})` : err.message;
      setState({ lastError: message });
      schedule(backoff);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
    await refreshCounts();
  } finally {
    setState({ syncing: false });
  }
}

async function runLocked() {
  if (navigator.locks?.request) {
    // Another tab of the app may be syncing: wait for it rather than race it.
    return navigator.locks.request("zhicha-sync", runOnce);
  }
  return runOnce();
}

/** Sync now; if a run is under way, one more run follows it. Resolves when done. */
export function syncNow() {
  if (running) { again = true; return running; }
  running = (async () => {
    do { again = false; await runLocked(); } while (again);
  })().finally(() => { running = null; });
  return running;
}

export function stopSync() {
  clearTimeout(timer);
  setState({ nextRetryAt: null });
}

/** Ask for a Background Sync as an extra trigger (the page still syncs on its own). */
export async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register("zhicha-outbox");
  } catch { /* not supported or not allowed: the other triggers cover it */ }
}

export function installTriggers() {
  window.addEventListener("online", () => { syncNow(); });
  window.addEventListener("offline", () => setState({ connectivity: "offline" }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow();
  });
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type === "SYNC") syncNow(); // Background Sync fired in the worker
  });
}

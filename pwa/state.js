// Shared, observable app state. Views re-render on "change"; nothing here is persisted
// (IndexedDB is the store of record, see db.js).

export const events = new EventTarget();

export const state = {
  user: null, // the logged-in user (from the login answer), null when logged out
  sessionExpired: false, // the refresh token was refused: log in again, data is kept
  connectivity: navigator.onLine ? "unknown" : "offline", // online | offline | unreachable
  syncing: false,
  lastSync: null, // ISO time of the last complete sync
  lastError: null, // Chinese message of the last failed sync
  unsynced: 0, // outbox mutations not yet confirmed + photo uploads not yet done
  attention: 0, // items that need the inspector's decision
  nextRetryAt: null,
};

let pending = false;
/** Merge `patch` into the state and notify listeners (coalesced per microtask). */
export function setState(patch) {
  Object.assign(state, patch);
  if (pending) return;
  pending = true;
  queueMicrotask(() => {
    pending = false;
    events.dispatchEvent(new Event("change"));
  });
}

export const CONNECTIVITY_LABELS = {
  online: "在线",
  offline: "离线",
  unreachable: "服务器不可达",
  unknown: "正在检查网络…",
};

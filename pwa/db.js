// IndexedDB: the device's only store of record. Everything the inspector captures lives here
// until the server has confirmed it; nothing is kept in memory alone.
//
// Stores
//   meta         {key, value}                 tokens, user, device id, pull cursor, last sync
//   records      {entity, id, version, data, owner, updated_at, server_data?, gone?}
//                reference data (plan, site, unit, category), field records
//                (visit, finding, interview, photo) and 回头看 tasks (verification, with
//                its item: rectification), keyed by [entity, id]. `gone`: the server no
//                longer shows it to this user, kept only while it has unsynced work.
//   outbox       {seq, mutation_id, user_id, entity, op, id, base_version, data, client_time,
//                 created_at, state, reason?, error?, server?, result_version?}
//                state: pending | sending | synced | attention | resolved
//   photo_bytes  {id, bytes: ArrayBuffer, filename, mime_type}
//                (ArrayBuffer, not Blob: Blob storage fails intermittently on iOS Safari)
//   uploads      {photo_id, user_id, url, offset, size, state, error?, done_at?}
//                state: waiting | uploading | done | attention
//   photo_cache  {key: "<photo id>:<variant>", photo_id, variant, bytes: ArrayBuffer,
//                 mime_type, fetched_at}
//                server copies (thumbnail, display) of photos the device must show offline:
//                the original photos of a 回头看 task. Not work of record: dropped with the
//                task, on logout and on a change of user.

const DB_NAME = "zhicha";
const DB_VERSION = 2;
let dbPromise = null;

/** "write" after every readwrite transaction has committed, in this tab or another tab of
 * the app (one tab syncs for all); `event.stores`: its store names. Screens that show sync
 * states follow the outbox through it (outbox/status.js). */
export const writes = new EventTarget();
const otherTabs = "BroadcastChannel" in self ? new BroadcastChannel("zhicha-writes") : null;
const wrote = (stores) => writes.dispatchEvent(Object.assign(new Event("write"), { stores }));
otherTabs?.addEventListener("message", (event) => wrote(event.data));

export function openDb() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = (event) => {
      // Step by step from the version on the device: existing stores (and the unsynced
      // work in them) are never recreated.
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("meta", { keyPath: "key" });
        const records = db.createObjectStore("records", { keyPath: ["entity", "id"] });
        records.createIndex("entity", "entity");
        const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        outbox.createIndex("state", "state");
        outbox.createIndex("record", ["entity", "id"]);
        outbox.createIndex("mutation_id", "mutation_id", { unique: true });
        db.createObjectStore("photo_bytes", { keyPath: "id" });
        db.createObjectStore("uploads", { keyPath: "photo_id" });
      }
      if (event.oldVersion < 2) {
        const cache = db.createObjectStore("photo_cache", { keyPath: "key" });
        cache.createIndex("photo_id", "photo_id");
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab opened a newer schema: let it upgrade, this tab reloads.
      db.onversionchange = () => { db.close(); location.reload(); };
      resolve(db);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("数据库被另一个窗口占用,请关闭其他窗口后重试"));
  });
  return dbPromise;
}

/** A request as a promise. Awaiting these inside `transaction()` keeps the transaction
 * alive: they resolve from IndexedDB callbacks, never from another task. */
export function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Run `work(stores)` in ONE transaction over `names`; resolves with work's result once
 * the transaction has committed (rejects, with nothing written, if it aborts).
 * `work` may only await IndexedDB requests (no fetch, no crypto) or the transaction ends. */
export async function transaction(names, mode, work) {
  const db = await openDb();
  const list = Array.isArray(names) ? names : [names];
  const tx = db.transaction(list, mode, { durability: "strict" });
  const stores = Object.fromEntries(list.map((n) => [n, tx.objectStore(n)]));
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error || new Error("IndexedDB transaction aborted"));
    tx.onerror = () => reject(tx.error);
  });
  let result;
  try {
    result = await work(stores, tx);
  } catch (err) {
    try { tx.abort(); } catch { /* already finished */ }
    await done.catch(() => {});
    throw err;
  }
  await done;
  if (mode === "readwrite") {
    wrote(list);
    otherTabs?.postMessage(list);
  }
  return result;
}

export const get = (store, key) => transaction(store, "readonly", (s) => req(s[store].get(key)));
export const getAll = (store) => transaction(store, "readonly", (s) => req(s[store].getAll()));
export const put = (store, value) => transaction(store, "readwrite", (s) => req(s[store].put(value)));
export const del = (store, key) => transaction(store, "readwrite", (s) => req(s[store].delete(key)));

export async function getMeta(key, fallback = null) {
  const row = await get("meta", key);
  return row ? row.value : fallback;
}

export const setMeta = (key, value) => put("meta", { key, value });
export const deleteMeta = (key) => del("meta", key);

export function recordsOf(entity) {
  return transaction("records", "readonly", (s) =>
    req(s.records.index("entity").getAll(entity)));
}

export const getRecord = (entity, id) => get("records", [entity, id]);

// A small tus 1.0.0 client (creation + checksum) for photo content. The upload URL and the
// last confirmed offset are kept per photo in IndexedDB; the server's HEAD is the truth,
// so an upload cut off by the network or an app restart resumes where the server is.
// The bytes stay on the device until the server has judged the content (settleUploads).

import { HttpError, authed, readJson } from "./api.js";
import { get, getRecord, put, req, transaction } from "./db.js";
import { base64Utf8, sha1Base64 } from "./hash.js";

const TUS = { "Tus-Resumable": "1.0.0" };
const DEFAULT_CHUNK = 256 * 1024;
const CHUNK_RETRIES = 3;
const PATCH_TIMEOUT_MS = 120000;

export const progress = new EventTarget(); // "progress" events: {photoId, offset, size}

/** PATCH chunk size: 256 KiB, or localStorage "zhicha.chunkSize" (tests). */
export function chunkSize() {
  const n = Number.parseInt(localStorage.getItem("zhicha.chunkSize") || "", 10);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_CHUNK;
}

class NeedsAttention extends Error {}

async function update(photoId, patch) {
  const row = await get("uploads", photoId);
  const next = { ...row, ...patch };
  await put("uploads", next);
  progress.dispatchEvent(Object.assign(new Event("progress"), {
    photoId, offset: next.offset, size: next.size, state: next.state,
  }));
  return next;
}

async function head(url) {
  const response = await authed(url, { method: "HEAD", headers: { ...TUS } });
  if (response.status === 404 || response.status === 410) return null; // gone: start again
  if (!response.ok) throw new HttpError(response.status, null);
  return Number.parseInt(response.headers.get("Upload-Offset") || "0", 10);
}

async function create(photoId, size, sha256, filename) {
  const metadata = [
    `photo_id ${base64Utf8(photoId)}`,
    `sha256 ${base64Utf8(sha256)}`,
    `filename ${base64Utf8(filename || "photo")}`,
  ].join(",");
  const response = await authed("/api/uploads", {
    method: "POST",
    headers: { ...TUS, "Upload-Length": String(size), "Upload-Metadata": metadata },
  });
  if (response.status === 201 || response.status === 200) {
    const location = response.headers.get("Location");
    if (!location) throw new HttpError(response.status, null);
    return new URL(location, window.location.href).pathname;
  }
  const data = await readJson(response);
  if (response.status === 413) throw new NeedsAttention("照片超过服务器允许的大小");
  if (response.status === 422 || response.status === 404) {
    // The photo record is refused or unknown: the upload cannot proceed until it is fixed.
    throw new NeedsAttention(data?.error?.message || "服务器拒绝了此照片的上传");
  }
  throw new HttpError(response.status, data);
}

/** True when the photo's own push mutation has been applied (upload only after that). */
export async function metadataSynced(photoId) {
  return transaction("outbox", "readonly", async (s) => {
    const items = await req(s.outbox.index("record").getAll(["photo", photoId]));
    const create = items.find((i) => i.op === "create");
    return Boolean(create) && create.state === "synced";
  });
}

/**
 * Upload one photo's bytes; resolves when the server has the whole file (or the upload
 * needs the inspector). Network and server failures throw: the caller retries later.
 */
export async function uploadPhoto(photoId) {
  let row = await get("uploads", photoId);
  if (!row || ["done", "attention", "refused"].includes(row.state)) return row;
  const stored = await get("photo_bytes", photoId);
  const record = await getRecord("photo", photoId);
  if (!stored || !record) {
    return update(photoId, { state: "attention", error: "本设备上找不到照片文件" });
  }
  const bytes = stored.bytes;
  const size = bytes.byteLength;
  row = await update(photoId, { state: "uploading", error: null });
  try {
    let url = row.url;
    let offset = url ? await head(url) : null;
    if (offset === null) {
      url = await create(photoId, size, record.data.sha256, stored.filename);
      await update(photoId, { url });
      offset = await head(url);
      if (offset === null) throw new HttpError(404, null);
    }
    await update(photoId, { offset });
    let retries = 0;
    while (offset < size) {
      const end = Math.min(offset + chunkSize(), size);
      const chunk = bytes.slice(offset, end);
      const response = await authed(url, {
        method: "PATCH",
        timeout: PATCH_TIMEOUT_MS,
        headers: {
          ...TUS,
          "Upload-Offset": String(offset),
          "Content-Type": "application/offset+octet-stream",
          "Upload-Checksum": `sha1 ${await sha1Base64(chunk)}`,
        },
        body: chunk,
      });
      if (response.status === 204 || response.status === 200) {
        offset = Number.parseInt(response.headers.get("Upload-Offset") || String(end), 10);
        retries = 0;
        await update(photoId, { offset });
        continue;
      }
      if (response.status === 409) { // our offset is stale: ask the server where it is
        offset = await head(url);
        if (offset === null) throw new HttpError(404, null);
        continue;
      }
      if (response.status === 460) {
        const now = await head(url);
        if (now === null) {
          // The whole file's SHA-256 did not match: the server discarded the upload.
          await update(photoId, { url: null, offset: 0 });
          throw new NeedsAttention("照片校验失败(整个文件的 SHA-256 与记录不符),请重新上传");
        }
        // Only this chunk was damaged on the way: send it again.
        if (++retries > CHUNK_RETRIES) throw new HttpError(460, null);
        offset = now;
        continue;
      }
      if (response.status === 404 || response.status === 410) {
        await update(photoId, { url: null, offset: 0 }); // expired upload: restart next time
        throw new HttpError(response.status, null);
      }
      if (response.status === 413) throw new NeedsAttention("照片超过服务器允许的大小");
      throw new HttpError(response.status, await readJson(response));
    }
    return await update(photoId, { state: "done", offset: size, done_at: Date.now() });
  } catch (err) {
    if (err instanceof NeedsAttention) {
      return update(photoId, { state: "attention", error: err.message });
    }
    await update(photoId, { state: "waiting", error: err.message });
    throw err;
  }
}

export const REFUSED_MESSAGE = "服务器无法识别这张照片,请重新拍摄";

/** The server's copy of a photo record: pulled apart (`server_data`) while the device
 * still had work on it, else its data. Only the server sets content_status. */
export const serverCopy = (record) => record?.server_data ?? record?.data ?? null;

/**
 * After an upload the device keeps the photo's bytes until the server has judged the
 * content (content_status from pull): `stored` or `failed` (the server keeps the original;
 * an admin may retry) free the space; `invalid` (the server could not decode it) marks the
 * upload `refused`, bytes kept, until the inspector removes it. A photo the server no
 * longer shows to the device is on the server with a checked SHA-256: its bytes go too.
 */
export function settleUploads() {
  return transaction(["uploads", "records", "photo_bytes"], "readwrite", async (s) => {
    for (const row of await req(s.uploads.getAll())) {
      if (row.state !== "done" || !(await req(s.photo_bytes.getKey(row.photo_id)))) continue;
      const record = await req(s.records.get(["photo", row.photo_id]));
      const status = serverCopy(record)?.content_status;
      if (status === "invalid") {
        await req(s.uploads.put({ ...row, state: "refused",
          error: serverCopy(record).content_error || null }));
      } else if (!record || status === "stored" || status === "failed") {
        await req(s.photo_bytes.delete(row.photo_id));
      }
    }
  });
}

/** The inspector removes a photo the server refused: its bytes leave the device. */
export function removeRefusedPhoto(photoId) {
  return transaction(["uploads", "photo_bytes"], "readwrite", async (s) => {
    const row = await req(s.uploads.get(photoId));
    if (row?.state !== "refused") return;
    await req(s.photo_bytes.delete(photoId));
    await req(s.uploads.put({ ...row, state: "done", removed: true, done_at: Date.now() }));
  });
}

/** The inspector asks to upload again (after a whole-file checksum failure). */
export function retryUpload(photoId) {
  return update(photoId, { state: "waiting", url: null, offset: 0, error: null });
}

// Photo picker: one input for the camera, one for the gallery. Browsers strip GPS from
// uploaded files, so each photo's place and time come from the Geolocation API when it is
// picked. The bytes are read once, hashed (SHA-256 over exactly what will be uploaded) and
// kept as an ArrayBuffer until the form is saved. A file is taken for what its first bytes
// say it is (JPEG, PNG, WebP, HEIC), never for its name.

import { getMeta } from "../db.js";
import { positionOrNull } from "../geo.js";
import { sha256Hex, uuid } from "../hash.js";
import { DEFAULT_UPLOAD_MAX_BYTES } from "../limits.js";
import { nowIso } from "../outbox/mutations.js";
import { sniffPhoto } from "../photo_format.js";
import { fmtBytes, h, replace } from "./dom.js";

/** {error} when a picked file is refused before it reaches the outbox (the server would
 * refuse it only after the upload), else {mime}: the type its content says. */
const MB = 1024 * 1024;

async function refusal(file, maxBytes) {
  const name = file.name || "文件";
  if (!file.size) return { error: `${name}:文件为空(0 字节),未添加` };
  const mime = await sniffPhoto(file); // first: what a file is matters more than its size
  if (!mime) {
    return { error: `${name}:不是可识别的照片(文件内容不是 JPEG、PNG、WebP 或 HEIC 图片),未添加` };
  }
  if (file.size > maxBytes) {
    const limit = maxBytes % MB ? fmtBytes(maxBytes) : `${maxBytes / MB} MB`;
    return { error: `${name}:文件超过 ${limit} 的上限,未添加` };
  }
  return { mime };
}

/**
 * Returns {element, photos, pending(), reset(), revoke()}. `photos` entries:
 * {id, bytes, filename, mime_type, size_bytes, sha256, captured_at, lat, lon, accuracy_m,
 *  location_source, capture_source: "camera" | "gallery"}
 */
export function photoPicker({ idPrefix }) {
  const photos = [];
  let working = 0;
  const urls = [];
  const list = h("ul", { class: "photo-list", "aria-label": "已选照片" });
  const status = h("p", { class: "muted small", "aria-live": "polite" });
  const refused = h("p", { class: "error photo-refusal", role: "alert", hidden: true });
  const camera = h("input", { type: "file", accept: "image/*", capture: "environment",
    multiple: true, class: "visually-hidden", id: `${idPrefix}-camera` });
  const gallery = h("input", { type: "file", accept: "image/*", multiple: true,
    class: "visually-hidden", id: `${idPrefix}-gallery` });

  function render() {
    replace(list, photos.map((p, index) => {
      const url = URL.createObjectURL(new Blob([p.bytes], { type: p.mime_type }));
      urls.push(url);
      const img = h("img", { src: url, alt: `照片 ${index + 1}`, class: "thumb" });
      img.addEventListener("error", () => img.replaceWith(h("span", { class: "thumb thumb-none",
        text: p.mime_type.split("/")[1]?.toUpperCase() || "照片" })));
      const where = p.location_source === "geolocation"
        ? `定位 ±${Math.round(p.accuracy_m)} 米` : "未取得位置";
      return h("li", { class: "photo-item" }, img,
        h("span", { class: "photo-meta" }, h("span", { text: p.filename }),
          h("span", { class: "muted small", text: `${fmtBytes(p.size_bytes)} · ${where}` })),
        h("button", { type: "button", class: "link danger", "aria-label": `移除照片 ${index + 1}`,
          text: "移除", onclick: () => { photos.splice(index, 1); render(); } }));
    }));
    status.textContent = working ? "正在处理照片…"
      : photos.length ? `已选择 ${photos.length} 张照片` : "尚未添加照片";
  }

  async function add(files, source) {
    if (!files.length) return;
    working += 1;
    render();
    const errors = [];
    try {
      // One fix for the batch, taken now: "where the photo was taken" is where the device is.
      const position = await positionOrNull({ timeout: 10000, maximumAge: 10000 });
      const capturedAt = nowIso();
      const maxBytes = await getMeta("upload_max_bytes", DEFAULT_UPLOAD_MAX_BYTES);
      for (const file of files) {
        const { mime, error } = await refusal(file, maxBytes);
        if (error) { errors.push(error); continue; }
        const bytes = await file.arrayBuffer();
        photos.push({
          id: uuid(), bytes, filename: file.name || "photo", mime_type: mime,
          size_bytes: bytes.byteLength, sha256: await sha256Hex(bytes), captured_at: capturedAt,
          lat: position?.lat ?? null, lon: position?.lon ?? null,
          accuracy_m: position?.accuracy_m ?? null,
          location_source: position ? "geolocation" : "none",
          capture_source: source,
        });
      }
    } catch (err) {
      errors.push(err.message);
    } finally {
      working -= 1;
      render();
      // Said where it was picked, and kept until the next pick: the other photos and the
      // rest of the form are untouched.
      refused.hidden = !errors.length;
      refused.textContent = errors.join(";");
    }
  }

  for (const [input, source] of [[camera, "camera"], [gallery, "gallery"]]) {
    input.addEventListener("change", async () => {
      const files = Array.from(input.files || []);
      input.value = "";
      await add(files, source);
    });
  }

  const element = h("div", { class: "photo-picker" },
    h("div", { class: "photo-buttons" },
      h("label", { class: "button secondary", for: camera.id }, "拍照", camera),
      h("label", { class: "button secondary", for: gallery.id }, "从相册选择", gallery)),
    status, refused, list);
  render();
  return {
    element,
    photos,
    pending: () => working > 0,
    revoke() { for (const url of urls.splice(0)) URL.revokeObjectURL(url); },
    reset() { photos.splice(0); render(); },
  };
}

/** The changes that save picked photos for a parent record (see outbox/capture.js). */
export function photoChanges(photos, parentType, parentId) {
  return photos.map((p) => ({
    entity: "photo", op: "create", id: p.id,
    data: {
      parent_type: parentType, parent_id: parentId, sha256: p.sha256, size_bytes: p.size_bytes,
      mime_type: p.mime_type, captured_at: p.captured_at, lat: p.lat, lon: p.lon,
      accuracy_m: p.accuracy_m, location_source: p.location_source,
      capture_source: p.capture_source,
    },
    photo: { bytes: p.bytes, filename: p.filename, mime_type: p.mime_type },
  }));
}

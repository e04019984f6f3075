// Re-take a photo the server could not decode (服务器无法识别): new photos for the same
// record (a finding, a check-in or a 回头看 task), saved like every capture. The refused
// photo stays on the device until the inspector removes it: here, by leaving the box
// ticked, or later in the outbox.

import { get, getRecord } from "../db.js";
import { capture } from "../outbox/capture.js";
import { state } from "../state.js";
import { REFUSED_MESSAGE, removeRefusedPhoto } from "../uploads.js";
import { busy, fmtTime, h, replace, show } from "./dom.js";
import { photoChanges, photoPicker } from "./photos.js";

function parentLabel(type, parent) {
  if (type === "finding") return `问题:${parent?.data.title || "—"}`;
  if (type === "visit") return `签到:${fmtTime(parent?.data.arrived_at)}`;
  if (type === "verification") return `回头看:${parent?.data.code || parent?.data.problem || "—"}`;
  return type;
}

export async function renderRetake(root, [photoId], { navigate, afterCapture }) {
  const record = await getRecord("photo", photoId);
  const upload = await get("uploads", photoId);
  if (!record || upload?.state !== "refused") {
    replace(root, h("a", { class: "back", href: "#/outbox" }, "‹ 返回"),
      h("p", { class: "empty", text: "这张照片无需重新拍摄" }));
    return undefined;
  }
  const { parent_type: type, parent_id: parentId } = record.data;
  const parent = await getRecord(type, parentId);
  const picker = photoPicker({ idPrefix: "retake-photo" });
  const drop = h("input", { type: "checkbox", name: "drop_refused", checked: true });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", id: "retake-save", text: "保存新照片" });
  const form = h("form", { id: "retake-form", novalidate: true },
    h("div", { class: "field" }, h("span", { class: "field-label", text: "新照片" }), picker.element),
    h("label", { class: "check" }, drop, "保存后从本机移除无法识别的那张照片"),
    error, save);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (picker.pending()) return show(error, "照片仍在处理中,请稍候");
    if (!picker.photos.length) return show(error, "请先拍照或从相册选择照片");
    const restore = busy(save, "正在保存…");
    try {
      const count = picker.photos.length;
      await capture(state.user.id, photoChanges(picker.photos, type, parentId));
      if (drop.checked) await removeRefusedPhoto(photoId);
      picker.revoke();
      afterCapture();
      navigate("#/outbox", { replace: true, flash: `已保存 ${count} 张新照片,等待同步` });
    } catch (err) {
      show(error, `保存失败:${err.message}`);
      restore();
    }
    return undefined;
  });

  replace(root,
    h("a", { class: "back", href: "#/outbox" }, "‹ 返回"),
    h("div", { class: "card" },
      h("h1", { text: "重新拍摄" }),
      h("p", { class: "error", text: `${REFUSED_MESSAGE}${upload.error ? `(${upload.error})` : ""}` }),
      h("p", { class: "muted small", text: parentLabel(type, parent) }),
      form));
  return () => picker.revoke();
}

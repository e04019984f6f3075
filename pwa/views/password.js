// 修改密码: the inspector's own password, the current one required (POST /api/me/password).
// Online only. The other logins of the account end; this device stays logged in.

import { authedJson } from "../api.js";
import { busy, fieldError, h, replace, show } from "./dom.js";

function input(name, autocomplete) {
  return h("input", { type: "password", name, autocomplete, required: true, maxlength: 256 });
}

export async function renderPassword(root, _params, { navigate }) {
  const old = input("old_password", "current-password");
  const fresh = input("new_password", "new-password");
  const again = input("confirm_password", "new-password");
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", id: "password-save", text: "修改密码" });
  const form = h("form", { id: "password-form", novalidate: true },
    h("p", { class: "muted small",
      text: "修改后,您在其他手机和电脑上的登录都会退出,本机保持登录。需要联网。" }),
    h("label", {}, h("span", { class: "required" }, "当前密码"), old),
    h("label", {}, h("span", { class: "required" }, "新密码"), fresh),
    h("label", {}, h("span", { class: "required" }, "再次输入新密码"), again),
    error, save);
  for (const field of [old, fresh, again]) {
    field.addEventListener("input", () => fieldError(field, null));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const checks = [
      [old, !old.value, "请输入当前密码"],
      [fresh, !fresh.value, "请输入新密码"], // its rules are the server's: it says which
      [again, again.value !== fresh.value, "两次输入的新密码不一致"],
    ];
    const wrong = checks.filter(([, bad]) => bad);
    for (const [field, bad, message] of checks) fieldError(field, bad ? message : null);
    if (wrong.length) { wrong[0][0].focus(); return; }
    const restore = busy(save, "正在修改…");
    try {
      await authedJson("/api/me/password", {
        method: "POST", body: { old_password: old.value, new_password: fresh.value },
      });
      navigate("#/", { replace: true, flash: "密码已修改" });
    } catch (err) {
      const fields = err.data?.error?.details?.fields || {};
      const byName = { old_password: old, new_password: fresh };
      let shown = false;
      for (const [name, messages] of Object.entries(fields)) {
        if (byName[name]) { fieldError(byName[name], messages.join(";")); shown = true; }
      }
      if (!shown) show(error, err.network ? "无法连接服务器,请联网后再修改密码" : `修改失败:${err.message}`);
      restore();
    }
  });

  replace(root,
    h("a", { class: "back", href: "#/" }, "‹ 返回"),
    h("div", { class: "card" }, h("h1", { text: "修改密码" }), form));
}

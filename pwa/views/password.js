// 修改密码: the inspector's own password, the current one required (POST /api/me/password).
// Online only. The other logins of the account end; this device stays logged in.
// An account that must change its password (new, or reset by an admin) is kept on this
// screen until it has (app.js); sync goes on meanwhile, so nothing recorded waits.

import { authedJson, getAuth, saveAuth } from "../api.js";
import { setState, state } from "../state.js";
import { busy, fieldError, h, replace, show } from "./dom.js";

/** The change is done: the account may use every screen again (kept across reloads). */
async function clearRequirement() {
  const user = { ...state.user, must_change_password: false };
  const auth = await getAuth();
  if (auth) await saveAuth({ ...auth, user });
  setState({ user });
}

function input(name, autocomplete) {
  return h("input", { type: "password", name, autocomplete, required: true, maxlength: 256 });
}

export async function renderPassword(root, _params, { navigate, logout }) {
  const forced = Boolean(state.user?.must_change_password);
  const old = input("old_password", "current-password");
  const fresh = input("new_password", "new-password");
  const again = input("confirm_password", "new-password");
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", id: "password-save", text: "修改密码" });
  const form = h("form", { id: "password-form", novalidate: true },
    forced ? h("p", { class: "muted small", text: "“当前密码”即管理员告诉您的一次性密码。" }) : null,
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
      if (forced) await clearRequirement();
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

  const required = h("p", { class: "notice", id: "password-required", role: "status",
    text: "您正在使用管理员设置的密码(新账号或密码已重置)。请先设置只有您自己知道的新密码,"
      + "完成后才能使用其他功能。已记录的数据照常同步,不会丢失。" });
  // Held here, the only way elsewhere is out (unsynced work stays, as for any logout).
  const leave = h("button", { type: "button", class: "secondary", id: "password-logout",
    text: "退出登录", onclick: () => logout() });
  replace(root,
    forced ? null : h("a", { class: "back", href: "#/" }, "‹ 返回"),
    h("div", { class: "card" }, h("h1", { text: forced ? "请设置新密码" : "修改密码" }),
      forced ? required : null, form),
    forced ? leave : null);
}

// Login screen of the field app. Inspectors stay here; desk roles are handed a console
// cookie (the bearer token is exchanged once) and taken to their start page.
const TOKENS_KEY = "zhicha.tokens";
const $ = (id) => document.getElementById(id);

function show(view) {
  for (const id of ["login-view", "home-view", "loading"]) $(id).hidden = id !== view;
}

function saved() {
  try { return JSON.parse(localStorage.getItem(TOKENS_KEY)); } catch { return null; }
}

async function api(path, { method = "GET", body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const message = data?.error?.message || `请求失败(${response.status})`;
    throw Object.assign(new Error(message), { status: response.status, data });
  }
  return data;
}

function safeNext() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/console/") ? next : "/console/";
}

function showHome(user) {
  $("home-title").textContent = "外勤应用";
  $("home-user").textContent = `${user.display_name} · ${user.role_label} · ${user.unit_name}`;
  show("home-view");
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.target;
  const username = form.username.value.trim();
  const password = form.password.value;
  const error = $("login-error");
  error.hidden = true;
  if (!username || !password) {
    error.textContent = "请输入用户名和密码";
    error.hidden = false;
    return;
  }
  const button = $("login-button");
  button.disabled = true;
  button.textContent = "正在登录…";
  try {
    const result = await api("/api/auth/login", { method: "POST", body: { username, password } });
    if (result.user.role === "inspector") {
      localStorage.setItem(TOKENS_KEY, JSON.stringify(result));
      form.reset();
      showHome(result.user);
    } else {
      await api("/console/session", { method: "POST", token: result.access_token });
      location.assign(safeNext());
    }
  } catch (err) {
    error.textContent = err.status ? err.message : "无法连接服务器,请检查网络";
    error.hidden = false;
  } finally {
    button.disabled = false;
    button.textContent = "登录";
  }
}

async function onLogout() {
  const tokens = saved();
  localStorage.removeItem(TOKENS_KEY);
  if (tokens) {
    try { await api("/api/auth/logout", { method: "POST", token: tokens.refresh_token }); }
    catch { /* offline or already revoked: the token is gone from this device anyway */ }
  }
  show("login-view");
}

function start() {
  $("login-form").addEventListener("submit", onLogin);
  $("logout-button").addEventListener("click", onLogout);
  if (new URLSearchParams(location.search).has("logged_out")) localStorage.removeItem(TOKENS_KEY);
  const tokens = saved();
  if (tokens?.user?.role === "inspector") showHome(tokens.user);
  else show("login-view");
}

start();

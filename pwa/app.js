// Boot, login/logout, the hash router, the service worker and its update prompt.
// Inspectors stay in the field app; desk roles are handed a console cookie (the bearer token
// is exchanged once) and taken to their start page. An inspector who followed a console link
// (/?next=/console/…) is handed one too and taken to that page.

import { api, authed, forgetTokens, getAuth, saveAuth } from "./api.js";
import { deleteMeta, getMeta, setMeta } from "./db.js";
import { clearSyncedData } from "./outbox/cleanup.js";
import { outboxSummary, watchOutbox } from "./outbox/status.js";
import { CONNECTIVITY_LABELS, events, setState, state } from "./state.js";
import {
  installTriggers, refreshCounts, requestBackgroundSync, stopSync, syncNow,
} from "./sync.js";
import { $, busy, show as showText } from "./views/dom.js";
import { renderFinding } from "./views/finding.js";
import { renderHome } from "./views/home.js";
import { renderInterview } from "./views/interview.js";
import { exportUnsynced, renderOutbox } from "./views/outbox.js";
import { renderPassword } from "./views/password.js";
import { renderRetake } from "./views/retake.js";
import { renderSite } from "./views/site.js";
import { renderVerification } from "./views/verification.js";

const VIEWS = ["login-view", "home-view", "page-view", "loading"];
const ROUTES = [
  [/^#\/site\/([^/]+)\/([^/]+)$/, renderSite],
  [/^#\/finding\/([^/]+)\/([^/]*)$/, renderFinding],
  [/^#\/interview\/([^/]+)$/, renderInterview],
  [/^#\/verification\/([^/]+)$/, renderVerification],
  [/^#\/outbox$/, renderOutbox],
  [/^#\/password$/, renderPassword],
  [/^#\/retake\/([^/]+)$/, renderRetake],
];

let cleanup = null;
let routeToken = 0;
let currentRender = null;
let flashTimer = null;

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  $("bar-status").hidden = view === "login-view" || !state.user;
}

function flash(text) {
  const el = $("flash");
  showText(el, text);
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

function navigate(hash, { replace = false, flash: message } = {}) {
  if (message) flash(message);
  if (replace) {
    history.replaceState(null, "", hash);
    route();
  } else {
    location.hash = hash;
  }
}

function afterCapture() {
  refreshCounts();
  syncNow();
  requestBackgroundSync();
}

const context = { navigate, afterCapture, logout: () => onLogout() };

async function route({ scroll = true } = {}) {
  if (!state.user) { await showLogin(); return; }
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  // An account that must change its password sees only that screen until it has.
  if (state.user.must_change_password && location.hash !== "#/password") {
    history.replaceState(null, "", "#/password");
  }
  const hash = location.hash;
  for (const [pattern, render] of ROUTES) {
    const match = hash.match(pattern);
    if (!match) continue;
    currentRender = render;
    show("page-view");
    const params = match.slice(1).map(decodeURIComponent);
    const token = ++routeToken;
    const holder = document.createElement("div"); // built off-screen, shown if still current
    const done = await render(holder, params, context);
    if (token !== routeToken) { // a newer render started meanwhile: drop this one
      if (typeof done === "function") done();
      return;
    }
    $("page-view").replaceChildren(holder);
    cleanup = done;
    if (scroll) window.scrollTo(0, 0);
    return;
  }
  currentRender = renderHome;
  ++routeToken;
  show("home-view");
  await renderHome({ onRelogin: () => showLogin() });
}

function renderBar() {
  const badge = $("net-badge");
  badge.textContent = CONNECTIVITY_LABELS[state.connectivity];
  badge.className = `net net-${state.syncing ? "syncing" : state.connectivity}`;
  if (state.syncing) badge.textContent = `${CONNECTIVITY_LABELS[state.connectivity]} · 同步中`;
  const chip = $("bar-outbox");
  chip.hidden = !state.unsynced;
  chip.textContent = state.attention ? `待同步 ${state.unsynced} · 需处理 ${state.attention}`
    : `待同步 ${state.unsynced}`;
  chip.classList.toggle("chip-warn", Boolean(state.attention));
}

events.addEventListener("change", () => {
  renderBar();
  if (!state.user || !$("login-view").hidden) return;
  // The home screen follows the state live. Other screens follow the outbox themselves
  // (watchOutbox), redrawing only their lists: a form is never re-rendered under the user.
  if (currentRender === renderHome) renderHome({ onRelogin: () => showLogin() });
});

// The bar's and the home screen's counts follow every change of the outbox at once.
watchOutbox(() => (state.user ? refreshCounts() : null));

// ---- login / logout -----------------------------------------------------------------

async function showLogin() {
  currentRender = null;
  const token = ++routeToken;
  const last = await getMeta("last_user");
  const summary = last ? await outboxSummary(last.id) : null;
  if (token !== routeToken) return; // something else was shown meanwhile
  const note = $("login-note");
  note.hidden = true;
  if (state.sessionExpired) {
    showText(note, "登录已过期,请重新登录。未同步的数据已保留,登录后会继续同步。");
  } else if (summary?.unsynced) {
    showText(note, `本机有 ${summary.unsynced} 项${last.display_name}的未同步数据,该账号登录后会继续同步。`);
  }
  $("login-cancel").hidden = !(state.user && state.sessionExpired);
  const form = $("login-form");
  if (state.sessionExpired && last && !form.username.value) form.username.value = last.username;
  show("login-view");
}

/** The console page a link asked for (the console sends a visitor without its cookie to
 * /?next=/console/…), or null. Only console paths: never another site. */
function consoleNext() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/console/") ? next : null;
}

function safeNext() {
  return consoleNext() || "/console/";
}

/** An inspector who followed a console link (a notification's, the 曝光台's) opens that page:
 * the app's login is exchanged for the console's cookie, as a desk role's is at login. Offline
 * or refused, the inspector stays in the app, is told why, and the link is dropped. */
async function followConsoleLink() {
  const next = consoleNext();
  if (!next) return false;
  history.replaceState(null, "", `/${location.hash}`);
  try {
    const response = await authed("/console/session", { method: "POST" });
    if (response.ok) {
      location.assign(next);
      return true;
    }
  } catch { /* offline, or the login expired: said below */ }
  flash("暂时无法打开督查台页面(离线或登录已过期),请联网后再从链接进入。");
  return false;
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.target;
  const username = form.username.value.trim();
  const password = form.password.value;
  const error = $("login-error");
  error.hidden = true;
  if (!username || !password) return showText(error, "请输入用户名和密码");
  const restore = busy($("login-button"), "正在登录…");
  try {
    const result = await api("/api/auth/login", { method: "POST", body: { username, password } });
    if (result.user.role === "inspector") {
      const last = await getMeta("last_user");
      // Plans are secret: another inspector's reference data must not show to this one.
      if (last && last.id !== result.user.id) await clearSyncedData();
      await saveAuth(result);
      form.reset();
      setState({ user: result.user, sessionExpired: false, lastError: null });
      await askPersistentStorage();
      if (await followConsoleLink()) return;
      if (!location.hash.startsWith("#/")) history.replaceState(null, "", "#/");
      await refreshCounts();
      await route();
      syncNow();
    } else {
      await api("/console/session", { method: "POST", token: result.access_token });
      location.assign(safeNext());
    }
  } catch (err) {
    showText(error, err.status ? err.message : "无法连接服务器,请检查网络");
  } finally {
    restore();
  }
}

/** Ask once (at first login) that the browser never evicts this app's storage. */
async function askPersistentStorage() {
  if (!navigator.storage?.persist || (await getMeta("persist_asked"))) return;
  await setMeta("persist_asked", true);
  try { await navigator.storage.persist(); } catch { /* best effort */ }
}

async function onLogout() {
  const summary = await refreshCounts();
  if (summary.unsynced > 0) {
    const ok = window.confirm(
      `还有 ${summary.unsynced} 项数据尚未同步到服务器。\n`
      + "退出登录不会删除它们:数据保留在本机,同一账号再次登录后会继续同步。\n确定退出登录吗?");
    if (!ok) return;
  }
  const auth = await getAuth();
  stopSync();
  await forgetTokens();
  if (auth?.refresh_token) {
    try {
      await api("/api/auth/logout", { method: "POST", token: auth.refresh_token, timeout: 5000 });
    } catch { /* offline or already revoked: the tokens are gone from this device anyway */ }
  }
  await clearSyncedData(); // reference data (secret plans) and synced records; never unsynced work
  await deleteMeta("last_sync");
  setState({ user: null, sessionExpired: false, lastSync: null, lastError: null });
  history.replaceState(null, "", "/");
  await showLogin();
}

// ---- service worker and updates -------------------------------------------------------

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  let waiting = null;
  let updateRequested = false;
  let reloading = false;
  const offer = (worker) => {
    if (!navigator.serviceWorker.controller) return; // first install: nothing to update
    waiting = worker;
    $("update-banner").hidden = false;
  };
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // Reload exactly once, and only for an update the inspector asked for (the first
    // install's clients.claim() also changes the controller).
    if (!updateRequested || reloading) return;
    reloading = true;
    location.reload();
  });
  $("update-button").addEventListener("click", () => {
    if (!waiting) return;
    updateRequested = true;
    busy($("update-button"), "正在更新…");
    waiting.postMessage({ type: "SKIP_WAITING" });
  });
  try {
    const registration = await navigator.serviceWorker.register("/sw.js", {
      scope: "/", updateViaCache: "none",
    });
    if (registration.waiting) offer(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker?.addEventListener("statechange", () => {
        if (worker.state === "installed") offer(worker);
      });
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") registration.update().catch(() => {});
    });
  } catch (err) {
    console.warn("service worker registration failed", err);
  }
}

// ---- boot ------------------------------------------------------------------------------

async function start() {
  $("login-form").addEventListener("submit", onLogin);
  $("logout-button").addEventListener("click", onLogout);
  $("login-cancel").addEventListener("click", () => route());
  $("sync-button").addEventListener("click", () => syncNow());
  $("export-button").addEventListener("click", (e) => exportUnsynced(e.currentTarget));

  if (new URLSearchParams(location.search).has("logged_out")) {
    await forgetTokens(); // logged out in the console: tokens only, never unsynced work
    history.replaceState(null, "", "/");
  }
  const bootHash = location.hash;
  const auth = await getAuth();
  const lastSync = await getMeta("last_sync");
  if (auth?.user?.role === "inspector") {
    setState({ user: auth.user, sessionExpired: !auth.refresh_token, lastSync });
    if (!state.sessionExpired && (await followConsoleLink())) return;
    await refreshCounts();
    await route();
    syncNow();
  } else {
    await showLogin();
  }
  // Only now that the login is known: a hash change during boot must not route without it.
  window.addEventListener("hashchange", () => route());
  if (location.hash !== bootHash && state.user) await route();
  installTriggers();
  registerServiceWorker();
}

// A deliberately small hook for tests and support: trigger a sync, count what is left.
window.zhicha = {
  syncNow,
  outboxCount: async () => (await refreshCounts()).unsynced,
  state,
};

start().catch((err) => {
  console.error(err);
  showText($("loading"), `应用启动失败:${err.message}`);
});

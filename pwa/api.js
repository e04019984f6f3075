// HTTP to the zhicha server: the JSON error envelope, bearer tokens kept in IndexedDB,
// refresh on 401, and the connectivity state derived from what requests actually do
// (navigator.onLine alone says nothing about whether the server answers).

import { deleteMeta, getMeta, setMeta } from "./db.js";
import { setState, state } from "./state.js";

const LEGACY_TOKENS_KEY = "zhicha.tokens";
const DEFAULT_TIMEOUT_MS = 30000;

export class NetworkError extends Error {
  constructor(message = "无法连接服务器,请检查网络") { super(message); this.network = true; }
}

export class HttpError extends Error {
  constructor(status, data) {
    super(data?.error?.message || `请求失败(${status})`);
    this.status = status;
    this.code = data?.error?.code || null;
    this.data = data;
  }
}

/** The refresh token was refused: the inspector must log in again (data is kept). */
export class AuthError extends Error {
  constructor(message = "登录已过期,请重新登录") { super(message); this.auth = true; }
}

function noteOutcome(status) {
  const connectivity = status >= 500 ? "unreachable" : "online";
  if (state.connectivity !== connectivity) setState({ connectivity });
}

function noteFailure() {
  setState({ connectivity: navigator.onLine ? "unreachable" : "offline" });
}

/** fetch() with a timeout; updates the connectivity state; throws NetworkError. */
export async function request(path, { method = "GET", headers = {}, body, token, timeout } = {}) {
  const all = { ...headers };
  if (token) all.Authorization = `Bearer ${token}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout || DEFAULT_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, {
      method, headers: all, body, credentials: "same-origin", cache: "no-store",
      signal: controller.signal,
    });
  } catch {
    noteFailure();
    throw new NetworkError();
  } finally {
    clearTimeout(timer);
  }
  noteOutcome(response.status);
  return response;
}

export async function readJson(response) {
  if (response.status === 204) return null;
  return response.json().catch(() => null);
}

/** A JSON body and answer over `send` (request or authed): the parsed answer, or throws
 * HttpError / NetworkError. */
async function sendJson(send, path, { method = "GET", body, token, timeout } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await send(path, {
    method, headers, token, timeout, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await readJson(response);
  if (!response.ok) throw new HttpError(response.status, data);
  return data;
}

/** JSON request; resolves with the parsed body or throws HttpError / NetworkError. */
export function api(path, options) {
  return sendJson(request, path, options);
}

// ---- tokens ---------------------------------------------------------------------------

/** {access_token, refresh_token, user} of the current login, or null. */
export async function getAuth() {
  const auth = await getMeta("auth");
  if (auth) return auth;
  // Earlier versions kept the login in localStorage: move it to IndexedDB once.
  let legacy = null;
  try { legacy = JSON.parse(localStorage.getItem(LEGACY_TOKENS_KEY)); } catch { /* none */ }
  if (legacy?.access_token) {
    await saveAuth(legacy);
    localStorage.removeItem(LEGACY_TOKENS_KEY);
    return legacy;
  }
  return null;
}

export async function saveAuth(auth) {
  await setMeta("auth", auth);
  await setMeta("last_user", auth.user);
}

/** Forget the tokens (logout, expiry). The user, the outbox and all records stay. */
export async function forgetTokens() {
  await deleteMeta("auth");
  localStorage.removeItem(LEGACY_TOKENS_KEY);
}

/** The refresh token was refused: drop the tokens, keep who was logged in so the app
 * stays usable offline (captures continue) and asks to log in again to sync. */
async function expireSession(auth) {
  // Logged out while the refused request was on its way: nothing is left to expire (writing
  // the user back would show them logged in again after a reload).
  if (!(await getMeta("auth"))) return;
  await setMeta("auth", { user: auth?.user ?? null });
  localStorage.removeItem(LEGACY_TOKENS_KEY);
  setState({ sessionExpired: true });
}

let refreshing = null;

/** New access token from the refresh token; AuthError if the refresh token is refused. */
export function refreshAccess() {
  if (!refreshing) {
    refreshing = (async () => {
      const auth = await getAuth();
      if (!auth?.refresh_token) throw new AuthError();
      try {
        const data = await api("/api/auth/refresh", { method: "POST", token: auth.refresh_token });
        const next = { ...auth, access_token: data.access_token };
        // Not after a logout that happened meanwhile (it forgot the tokens for good).
        if ((await getMeta("auth"))?.refresh_token !== auth.refresh_token) throw new AuthError();
        await setMeta("auth", next);
        return next;
      } catch (err) {
        if (err.status === 401 || err.status === 422) {
          await expireSession(auth);
          throw new AuthError();
        }
        throw err;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** A request with the access token; on 401 refresh once and retry once. Returns the
 * Response (callers read tus headers); AuthError when logging in again is needed. */
export async function authed(path, options = {}) {
  const auth = await getAuth();
  if (!auth?.access_token) throw new AuthError();
  if (state.sessionExpired) throw new AuthError();
  let response = await request(path, { ...options, token: auth.access_token });
  if (response.status !== 401) return response;
  const fresh = await refreshAccess();
  response = await request(path, { ...options, token: fresh.access_token });
  if (response.status === 401) {
    await expireSession(fresh);
    throw new AuthError();
  }
  return response;
}

/** authed() for JSON bodies and answers. */
export function authedJson(path, options) {
  return sendJson(authed, path, options);
}

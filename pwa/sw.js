// Service worker of the field app. Served from /sw.js so its scope is the whole origin.
// - The app shell is precached in a cache named after VERSION. The server replaces the
//   VERSION value with a hash of every file in pwa/ and of /glossary.js (the labels,
//   rendered from server/glossary.py) when it serves this file, so any change to the app
//   makes a new sw.js, which the browser installs.
// - Static files: cache first. Navigations: network first (short timeout), falling back
//   to the cached "/" shell when offline or when the server does not answer.
// - /api/ and /console/ are never cached and never touched here: the worker does not call
//   respondWith for them, so they go to the network as if there were no worker.
// - A new version waits until the page asks for it (the page shows "有新版本可用").

const VERSION = "__PWA_VERSION__";
const CACHE = `zhicha-shell-${VERSION}`;
const NAVIGATION_TIMEOUT_MS = 4000;

const SHELL = [
  "/",
  "/manifest.webmanifest",
  "/glossary.js",
  "/pwa/app.css",
  "/pwa/app.js",
  "/pwa/api.js",
  "/pwa/db.js",
  "/pwa/geo.js",
  "/pwa/hash.js",
  "/pwa/limits.js",
  "/pwa/outbox/mutations.js",
  "/pwa/outbox/capture.js",
  "/pwa/outbox/push.js",
  "/pwa/outbox/pull.js",
  "/pwa/outbox/resolve.js",
  "/pwa/outbox/status.js",
  "/pwa/outbox/cleanup.js",
  "/pwa/photo_format.js",
  "/pwa/state.js",
  "/pwa/sync.js",
  "/pwa/uploads.js",
  "/pwa/verifications.js",
  "/pwa/views/dom.js",
  "/pwa/views/counter.js",
  "/pwa/views/home.js",
  "/pwa/views/site.js",
  "/pwa/views/finding.js",
  "/pwa/views/interview.js",
  "/pwa/views/outbox.js",
  "/pwa/views/password.js",
  "/pwa/views/photos.js",
  "/pwa/views/retake.js",
  "/pwa/views/verification.js",
  "/pwa/icons/icon-192.png",
  "/pwa/icons/icon-512.png",
  "/pwa/icons/icon-maskable-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: "reload" bypasses the HTTP cache so the shell is the deployed one.
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })));
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("zhicha-shell-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim(); // first install: control the open page without a reload
  })());
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
});

// Background Sync, where the browser has it, is only an extra trigger: wake the pages.
self.addEventListener("sync", (event) => {
  if (event.tag !== "zhicha-outbox") return;
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: "window" });
    for (const page of pages) page.postMessage({ type: "SYNC" });
  })());
});

function networkOnly(url) {
  return url.pathname.startsWith("/api/") || url.pathname.startsWith("/console/")
    || url.pathname === "/console";
}

async function navigation(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")),
        NAVIGATION_TIMEOUT_MS)),
    ]);
    if (response.ok || !(await cache.match("/"))) return response;
    return (await cache.match("/")) || response;
  } catch {
    const shell = await cache.match("/");
    if (shell) return shell;
    return new Response("<!doctype html><meta charset=utf-8><title>直查</title><p>离线,且本机尚无缓存的应用。请联网后重新打开。</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || networkOnly(url)) return;
  if (request.mode === "navigate") {
    // Only the app's own page; anything else navigated to goes to the network.
    if (url.pathname === "/" || url.pathname === "/index.html") {
      event.respondWith(navigation(request));
    }
    return;
  }
  if (url.pathname === "/sw.js") return;
  event.respondWith(cacheFirst(request));
});

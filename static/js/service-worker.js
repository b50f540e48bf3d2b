// voice's one service worker for the whole site, served at /service-worker.js.
// - Precaches the build's hashed static files (Workbox: scripts/build_assets.py writes their list
//   into self.__WB_MANIFEST) and the staff "You are offline" page, which holds nothing personal.
// - Never caches a staff page: staff navigations go to the network, and only when it cannot be
//   reached is the offline page shown.
// - A child's session: when the device is handed over, the page asks for "cache-session"; the
//   session's blank step pages, pictures and recorded prompts are kept in a cache of their own
//   (voice-session-ID, listed by /child/ID/offline.json) and answer the child's navigations
//   when there is no network. "clear-session" (or the page's clearSession) deletes it.
// - An update waits: it takes over only when a page asks ("skip-waiting") and no child's page
//   is open, so it never interrupts a child's session.
// - Shows Web Push notifications: a message holds only a fixed, non-personal title and text and
//   an opaque link /notifications/<id> that needs sign-in; the notification opens that link.
import { cleanupOutdatedCaches, getCacheKeyForURL, matchPrecache, precache } from "workbox-precaching";

const FALLBACK_TITLE = "voice";
const OFFLINE_CACHE = "voice-offline";
const OFFLINE_PAGE = "/offline";
const SESSION_CACHE_PREFIX = "voice-session-";
const CHILD_PATH = /^\/child\/([A-Za-z0-9_-]{1,64})(?:\/|$)/;

precache(self.__WB_MANIFEST);
cleanupOutdatedCaches();

self.addEventListener("install", (event) => {
  // Fetched without cookies: the page is the same for everyone, in the browser's language.
  event.waitUntil(caches.open(OFFLINE_CACHE).then((cache) =>
    cache.add(new Request(OFFLINE_PAGE, { credentials: "omit" }))));
});
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// --- answering requests ----------------------------------------------------------------------

function sessionCacheName(sessionId) {
  return SESSION_CACHE_PREFIX + sessionId;
}

async function offlineNavigation(request, url) {
  const child = url.pathname.match(CHILD_PATH);
  if (child && await caches.has(sessionCacheName(child[1]))) {
    const cache = await caches.open(sessionCacheName(child[1]));
    const page = await cache.match(request, { ignoreVary: true }) ||
      await cache.match(`/child/${child[1]}/offline`, { ignoreVary: true });
    if (page) return page;
  }
  const offline = await caches.match(OFFLINE_PAGE, { cacheName: OFFLINE_CACHE });
  return offline || Response.error();
}

async function navigate(request, url) {
  try {
    return await fetch(request);
  } catch (error) {
    return offlineNavigation(request, url);
  }
}

async function staticFile(request, cacheKey) {
  const cached = cacheKey ? await matchPrecache(cacheKey) : null;
  if (cached) return cached;
  try {
    return await fetch(request);
  } catch (error) {
    // A recorded prompt or picture kept for a child's session.
    return await caches.match(request, { ignoreVary: true }) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request, getCacheKeyForURL(url.href)));
  }
  // Anything else (a child's own media, data for staff pages) goes to the network untouched.
});

// --- a child's session -----------------------------------------------------------------------

// What a session keeps, put in its cache last: a cache holding it is complete.
const sessionList = (sessionId) => `/child/${sessionId}/offline.json`;

async function cacheSession(sessionId) {
  const name = sessionCacheName(sessionId);
  const list = sessionList(sessionId);
  if (await caches.has(name) && await (await caches.open(name)).match(list)) return;
  const response = await fetch(list, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok || response.redirected) return;
  const contents = await response.clone().json();
  // One session's pages on the device at a time.
  for (const key of await caches.keys()) {
    if (key.startsWith(SESSION_CACHE_PREFIX) && key !== name) await caches.delete(key);
  }
  const cache = await caches.open(name);
  await Promise.all(contents.files.map((file) => cache.add(file)));
  await Promise.all(contents.pages.map(async (page) => {
    const answer = await fetch(page.fetch, { credentials: "same-origin", cache: "no-store" });
    if (answer.ok && !answer.redirected) await cache.put(page.url, answer);
  }));
  await cache.put(list, response);  // last: the session is complete
}

// Every page of the session asks for it: one keeping at a time per session. A keeping cut short
// (the signal went) deletes only an incomplete cache, never one kept whole before.
const keeping = new Map();

function keepSession(sessionId) {
  if (!keeping.has(sessionId)) {
    keeping.set(sessionId, cacheSession(sessionId).catch(async () => {
      const name = sessionCacheName(sessionId);
      if (!await (await caches.open(name)).match(sessionList(sessionId))) {
        await caches.delete(name);
      }
    }).finally(() => keeping.delete(sessionId)));
  }
  return keeping.get(sessionId);
}

async function noChildPageOpen() {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  return !windows.some((client) => CHILD_PATH.test(new URL(client.url).pathname));
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  const session = typeof message.session === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(message.session)
    ? message.session : null;
  if (message.type === "cache-session" && session) {
    event.waitUntil(keepSession(session));
  } else if (message.type === "clear-session" && session) {
    event.waitUntil(caches.delete(sessionCacheName(session)));
  } else if (message.type === "skip-waiting") {
    event.waitUntil(noChildPageOpen().then((free) => free && self.skipWaiting()));
  }
});

// --- notifications ---------------------------------------------------------------------------

function safePath(value) {
  return typeof value === "string" && /^\/notifications\/[A-Za-z0-9_-]{1,64}$/.test(value)
    ? value : "/";
}

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = {};
  }
  const title = typeof message.title === "string" ? message.title : FALLBACK_TITLE;
  const body = typeof message.body === "string" ? message.body : "";
  event.waitUntil(self.registration.showNotification(title, {
    body,
    icon: "/static/icon.svg",
    data: { url: safePath(message.url) },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/",
                      self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin === self.location.origin && "navigate" in client) {
        await client.focus();
        return client.navigate(url);
      }
    }
    return self.clients.openWindow(url);
  })());
});

// --- The sealed queue (issue 16, part B: static/js/queue.js) ---------------------------------
// Background Sync: when the connection is back, ask the open child pages to send their queue.
// The queue itself stays with the page (its sealed items are in IndexedDB; nothing here reads
// them). Without Background Sync the page sends on `online` and at load.
self.addEventListener("sync", (event) => {
  if (event.tag !== "voice-queue") return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((windows) => {
    windows.forEach((client) => client.postMessage({ type: "voice-queue-sync" }));
  }));
});

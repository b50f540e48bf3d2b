// voice's service worker: shows Web Push notifications, nothing else (it caches nothing).
// A message holds only a fixed, non-personal title and text and an opaque link
// /notifications/<id> that needs sign-in; the notification opens that link.
"use strict";

const FALLBACK_TITLE = "voice";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

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

// Offline and installable, the page's side (bundled into child.js and staff.js by the asset
// build). After the page has loaded (so that precaching never slows the page itself down) a
// page of someone signed in registers the site's one service worker (a signed-out device keeps
// nothing: sign-out deletes it all); a waiting update is told to take over only from a
// page that is not a child's; a child's page asks the worker to keep the session's pages for
// when there is no network, and the "done" page deletes them.

const SESSION_CACHE_PREFIX = "voice-session-";

function supported() {
  return "serviceWorker" in navigator && window.isSecureContext;
}

// The session's pages, pictures and recorded prompts leave the device: the queue (once it has
// sent everything) and the "done" page call this.
export async function clearSession(sessionId) {
  if ("caches" in window) await caches.delete(SESSION_CACHE_PREFIX + sessionId);
  if (supported() && navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage({ type: "clear-session", session: sessionId });
  }
}

// Whether the device still holds items of this session that the server has not confirmed.
// The device queue (static/js/queue.js) answers this; without it nothing is waiting.
export async function itemsWaiting(sessionId) {
  const queue = window.voiceQueue;
  return queue && typeof queue.waiting === "function" ? (await queue.waiting(sessionId)) > 0 : false;
}

async function start() {
  const registration = await navigator.serviceWorker.register("/service-worker.js", { scope: "/" });
  const child = document.documentElement.dataset.childSession;
  const finished = document.documentElement.dataset.sessionFinished;
  if (finished) {
    if (!await itemsWaiting(finished)) await clearSession(finished);
    return;
  }
  if (child) {
    const ready = await navigator.serviceWorker.ready;
    ready.active.postMessage({ type: "cache-session", session: child });
    return;
  }
  // A staff page: no child's session is open here, so an update may take over now.
  const takeOver = () => {
    if (registration.waiting) registration.waiting.postMessage({ type: "skip-waiting" });
  };
  takeOver();
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    if (worker) worker.addEventListener("statechange", takeOver);
  });
}

export function setUpOffline() {
  const root = document.documentElement.dataset;
  if (!supported() || !("signedIn" in root || root.childSession)) return;
  const go = () => start().catch(() => {});
  if (document.readyState === "complete") go();
  else window.addEventListener("load", go, { once: true });
}

// Notifications on this device (the Notifications page in "Your account").
// Registers the service worker, subscribes with the service's VAPID public key and tells the
// server; or unsubscribes. Without JavaScript the page still lists the person's devices and
// turns them off. Every message shown comes translated from the page's data attributes.
const root = document.querySelector("[data-push]");
if (root) {
  start(root);
}

function keyBytes(base64url) {
  const base64 = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4))
    .replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function deviceLabel() {
  const data = navigator.userAgentData;
  const brand = data && data.brands ? data.brands.map((b) => b.brand)
    .find((name) => !/not.?a.?brand|chromium/i.test(name)) : "";
  const platform = (data && data.platform) || "";
  return [brand, platform].filter(Boolean).join(", ").slice(0, 100);
}

async function post(url, body, csrf) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  return response.ok;
}

async function start(root) {
  const status = root.querySelector("[data-push-status]");
  const on = root.querySelector("[data-push-on]");
  const off = root.querySelector("[data-push-off]");
  const say = (name) => { status.textContent = root.dataset[name] || ""; };
  const show = (subscribed) => {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    say(subscribed ? "msgOn" : "msgOff");
  };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) ||
      !("Notification" in window) || !window.isSecureContext) {
    say("msgUnsupported");
    return;
  }
  const known = new Set((root.dataset.known || "").split(" ").filter(Boolean));
  const current = async () => {
    const registration = await navigator.serviceWorker.getRegistration("/");
    return registration ? registration.pushManager.getSubscription() : null;
  };
  try {
    const subscription = await current();
    show(subscription !== null && known.has(await sha256Hex(subscription.endpoint)));
  } catch {
    show(false);
  }

  on.querySelector("button").addEventListener("click", async () => {
    say("msgWorking");
    try {
      if (await Notification.requestPermission() !== "granted") {
        say("msgDenied");
        return;
      }
      await navigator.serviceWorker.register("/service-worker.js", { scope: "/" });
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.getSubscription() ||
        await registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(root.dataset.key),
        });
      if (!await post(root.dataset.subscribe,
                      { ...subscription.toJSON(), device: deviceLabel() }, root.dataset.csrf)) {
        await subscription.unsubscribe();
        say("msgFailed");
        return;
      }
      window.location.reload();
    } catch {
      say("msgFailed");
    }
  });

  off.querySelector("button").addEventListener("click", async () => {
    say("msgWorking");
    try {
      const subscription = await current();
      if (subscription) {
        await post(root.dataset.unsubscribe, { endpoint: subscription.endpoint }, root.dataset.csrf);
        await subscription.unsubscribe();
      }
      window.location.reload();
    } catch {
      say("msgFailed");
    }
  });
}

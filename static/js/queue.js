// The sealed queue of a child's session (issue 16): every answer, the consent and the sharing
// choices are sealed to the server's per-session public key (ECDH P-256 + HKDF-SHA256 +
// AES-GCM, WebCrypto) and stored in IndexedDB before anything is sent. The device never keeps a
// key that opens its queue: each item is sealed with a fresh key pair whose private half is
// thrown away at once. A stored record holds only the item id (crypto.randomUUID), its kind, its
// order, its size, the sealed bytes and the ephemeral public key. Items go to the server when
// there is a connection (Background Sync, the `online` event, page load), consent first, then in
// order; the server accepts each id once and the device deletes an item only after the server
// acknowledged it. Recordings and pictures, sealed the same way, go up with tus (resumable).
// Without this file the forms post as before. Server side: voice/sealing.py, voice/offline/.
import { deleteDB, openDB } from "idb";
import { clearSession } from "./modules/offline.js";

const root = document.querySelector("[data-queue]");
const CHUNK_SIZE = 2 * 1024 * 1024;
const RANK = { consent: 0, answer: 1, voice: 1, drawing: 1, photo: 1, share: 2 };
const FILES = ["voice", "drawing", "photo"];

// One database per session: "items" (the sealed queue) and "keys" (the public key, which only
// seals).
let opened = null;
const database = () => {
  opened = opened || openDB(`voice-queue-${root.dataset.session}`, 1, {
    upgrade(db) {
      db.createObjectStore("items", { keyPath: "id" });
      db.createObjectStore("keys", { keyPath: "session" });
    },
  });
  return opened;
};

const text = new TextEncoder();
const b64 = (bytes) => btoa(Array.from(new Uint8Array(bytes), (b) => String.fromCharCode(b)).join(""));
const unb64 = (value) => Uint8Array.from(atob(value), (c) => c.charCodeAt(0));

// --- the session's public key: fetched once online, then kept (it only seals) -----------------
async function publicKey(session) {
  const db = await database();
  const kept = await db.get("keys", session);
  if (kept) return unb64(kept.key);
  try {
    const response = await fetch(root.dataset.keyUrl, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return null;
    const { key } = await response.json();
    await db.put("keys", { session, key });
    return unb64(key);
  } catch {
    return null; // offline, and never online since hand-over: the forms post as before
  }
}

// --- sealing ----------------------------------------------------------------------------------
async function seal(serverKey, session, id, plaintext) {
  const info = text.encode(`voice:${session}:${id}`);
  const server = await crypto.subtle.importKey("raw", serverKey, { name: "ECDH", namedCurve: "P-256" },
    false, []);
  const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false,
    ["deriveBits"]);
  const epk = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: server }, pair.privateKey, 256);
  const hkdf = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: epk, info }, hkdf,
    { name: "AES-GCM", length: 256 }, false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: info }, key,
    plaintext);
  return { epk: epk.buffer, sealed: new Blob([iv, ciphertext]) };
}

async function nextOrder(db) {
  const all = await db.getAll("items");
  return all.reduce((most, item) => Math.max(most, item.order), 0) + 1;
}

// Queue one item (and its file, sealed as an item of its own); returns the item's id.
export async function enqueue(kind, payload, file) {
  const session = root.dataset.session;
  const serverKey = await publicKey(session);
  if (!serverKey) throw new Error("no key");
  const records = [];
  let fileId = null;
  if (file) {
    fileId = crypto.randomUUID();
    const sealedFile = await seal(serverKey, session, fileId, await file.arrayBuffer());
    records.push({ id: fileId, kind: payload.form, size: sealedFile.sealed.size, sent: 0,
      ...sealedFile });
    payload = { ...payload, upload: fileId };
  }
  const id = crypto.randomUUID();
  const sealedItem = await seal(serverKey, session, id,
    text.encode(JSON.stringify({ kind, ...payload })));
  records.push({ id, kind, file: fileId, size: sealedItem.sealed.size, ...sealedItem });
  const db = await database();
  let order = await nextOrder(db);
  for (const record of records) await db.put("items", { ...record, order: order++ });
  showStatus();
  return id;
}

// --- sending -----------------------------------------------------------------------------------
const headers = () => ({ "X-CSRFToken": root.dataset.csrf });
const refusals = new Map();

async function upload(db, record) {
  const { Upload } = await import(root.dataset.tusUrl);
  return new Promise((resolve, reject) => {
    const task = new Upload(new Blob([record.epk, record.sealed]), {
      endpoint: root.dataset.uploadsUrl,
      chunkSize: CHUNK_SIZE,
      retryDelays: [0, 1000, 3000],
      headers: headers(),
      metadata: { item: record.id, form: record.kind },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      fingerprint: async () => `voice-${record.id}`,
      onProgress: async (sent) => {
        record.sent = sent;
        await db.put("items", record);
        showStatus();
      },
      onSuccess: resolve,
      onError: reject,
    });
    task.findPreviousUploads().then((previous) => {
      if (previous.length) task.resumeFromPreviousUpload(previous[0]);
      task.start();
    });
  });
}

async function post(record) {
  const sealed = new Uint8Array(await new Blob([record.epk, record.sealed]).arrayBuffer());
  const response = await fetch(root.dataset.itemsUrl, {
    method: "POST", credentials: "same-origin",
    headers: { ...headers(), "Content-Type": "application/json" },
    body: JSON.stringify({ id: record.id, sealed: b64(sealed) }),
  });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

let sending = null;

// The server will never take this item (a file it could not use, say): tell the child why.
function refused(id, message) {
  refusals.set(id, message);
  if (!message) return;
  const line = root.querySelector("[data-queue-line]");
  root.hidden = false;
  line.textContent = message;
  root.dataset.refused = "1";
}

// Send what is waiting, in order; consent first. Resolves when nothing more can be sent now.
export function flush() {
  // One sender at a time, across the tabs of this device too.
  const once = () => (navigator.locks ? navigator.locks.request("voice-queue", send) : send());
  if (!sending) sending = once().finally(() => { sending = null; showStatus(); });
  return sending;
}

async function send() {
  if (!root || !navigator.onLine) return;
  const db = await database();
  const waiting = (await db.getAll("items"))
    .sort((a, b) => RANK[a.kind] - RANK[b.kind] || a.order - b.order);
  const dropped = new Set();
  showStatus(true);
  for (const record of waiting) {
    if (dropped.has(record.id)) continue;
    if (FILES.includes(record.kind)) {
      if (record.done) continue;
      try {
        await upload(db, record);
      } catch (error) {
        const response = error && error.originalResponse;
        if (!response || response.getStatus() !== 413) throw error;
        // Never accepted, however often it is sent: the file and its answer go, the child is told.
        const answer = waiting.find((item) => item.file === record.id);
        if (answer) {
          dropped.add(answer.id);
          await db.delete("items", answer.id);
        }
        await db.delete("items", record.id);
        refused(answer ? answer.id : record.id, root.dataset.labelTooBig);
        continue;
      }
      record.done = true;
      await db.put("items", record);
      continue;
    }
    const { status, body } = await post(record);
    if (status === 409 && body.keep) {
      if (body.error === "no-consent") return; // nothing after it can go before consent
      continue;
    }
    if (status === 200 || status === 422) {
      if (status === 422) refused(record.id, body.message || "");
      await db.delete("items", record.id);
      if (record.file) await db.delete("items", record.file);
      continue;
    }
    return; // the server or the network failed: try again later
  }
}

// --- what the child and the ICTG see -----------------------------------------------------------
export async function waiting() {
  const db = await database();
  const items = await db.getAll("items");
  return {
    items: items.filter((item) => !FILES.includes(item.kind)).length,
    bytes: items.reduce((sum, item) => sum + item.size, 0),
    sent: items.reduce((sum, item) => sum + (item.sent || 0), 0),
  };
}

function megabytes(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

async function showStatus(busy = false) {
  if (!root) return;
  const { items, bytes, sent } = await waiting();
  const line = root.querySelector("[data-queue-line]");
  if (root.dataset.refused) {
    root.hidden = false; // the reason a file was refused stays until the next page
  } else {
    root.hidden = items === 0;
    line.textContent = busy && navigator.onLine ? root.dataset.labelSending : root.dataset.labelWaiting;
  }
  const staff = document.querySelector("[data-queue-staff]");
  if (staff) {
    staff.textContent = items === 0 ? staff.dataset.labelNone : staff.dataset.label
      .replace("{items}", String(items)).replace("{size}", megabytes(bytes))
      .replace("{sent}", megabytes(sent));
  }
  const leaving = document.querySelector("[data-leave-form]");
  if (leaving) leaving.dataset.waiting = String(items);
}

// --- the child's forms: saved to the queue first ------------------------------------------------
function formPayload(form) {
  const data = new FormData(form);
  const file = data.get("file");
  return {
    payload: {
      step: form.dataset.step, form: data.get("form"), options: data.getAll("option"),
      text: data.get("text") || "",
    },
    file: file && file.size ? file : null,
  };
}

function consentPayload(form) {
  const data = new FormData(form);
  return { payload: { agreed: true, given_how: data.get("given_how"),
    interpreter_language: data.get("interpreter_language"), understood: data.get("understood"),
    present: data.get("present") }, file: null };
}

// The sharing choices by step (answers given offline have no id on the server yet); the
// server then finishes the session, as the share page does.
function sharePayload(form) {
  const choices = {};
  form.querySelectorAll("fieldset[data-step]").forEach((group) => {
    const checked = group.querySelector("input[type=radio]:checked");
    if (checked) choices[group.dataset.step] = checked.value;
  });
  return { payload: { choices, finish: true }, file: null };
}

function intercept(form, kind, read) {
  form.addEventListener("submit", async (event) => {
    if (event.defaultPrevented) return; // recording or drawing still being attached
    event.preventDefault();
    const { payload, file } = read(form);
    let id;
    try {
      id = await enqueue(kind, payload, file);
    } catch {
      form.submit(); // no key yet (never online since hand-over): the form posts as before
      return;
    }
    await flush().catch(() => {});
    if (refusals.has(id)) {
      // Refused with a reason: the child reads it here. Refused without one (a form not filled
      // in as it should be): the ordinary post shows the page's own error messages.
      if (!refusals.get(id) && navigator.onLine) form.submit();
      return;
    }
    if (navigator.onLine || (navigator.serviceWorker && navigator.serviceWorker.controller)) {
      window.location.assign(form.dataset.after);
    }
  });
}

// Once the session is finished and everything is sent, the session's database and its offline
// pages (the service worker's cache of the session) go too.
async function forgetWhenFinished() {
  if (!document.querySelector("[data-session-done]")) return;
  const { items } = await waiting();
  if (items > 0) return;
  (await database()).close();
  opened = null;
  await deleteDB(`voice-queue-${root.dataset.session}`);
  await clearSession(root.dataset.session);
}

// --- the guardian's screen: no ending the session while items wait, without a warning --------
function guardLeaving() {
  const form = document.querySelector("[data-leave-form]");
  const warning = document.querySelector("[data-queue-warning]");
  if (!form || !warning) return;
  form.addEventListener("submit", (event) => {
    // The count is kept up to date by showStatus: a submit handler cannot wait for IndexedDB.
    if (Number(form.dataset.waiting || 0) > 0 && warning.hidden) {
      event.preventDefault();
      warning.hidden = false;
      warning.focus();
    }
  });
}

if (root && window.crypto && crypto.subtle && "indexedDB" in window) {
  document.querySelectorAll("form[data-step-form]").forEach((form) => intercept(form, "answer", formPayload));
  document.querySelectorAll("form[data-consent-form]").forEach((form) => intercept(form, "consent", consentPayload));
  document.querySelectorAll("form[data-share-form]").forEach((form) => intercept(form, "share", sharePayload));
  guardLeaving();
  publicKey(root.dataset.session).catch(() => {});
  window.addEventListener("online", () => flush().catch(() => {}).then(forgetWhenFinished));
  // The "done" page keeps the session's offline pages while anything is still waiting.
  window.voiceQueue = { waiting: async () => (await waiting()).items };
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "voice-queue-sync") flush().catch(() => {}).then(forgetWhenFinished);
    });
    navigator.serviceWorker.ready.then((registration) => {
      if (registration.sync) return registration.sync.register("voice-queue");
      return null;
    }).catch(() => {});
  }
  showStatus();
  flush().catch(() => {}).then(forgetWhenFinished);
}

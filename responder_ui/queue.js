// The offline action queue: every case action (and a patrol report) goes into IndexedDB first, with an id made
// here, and is sent in order. A network failure leaves it queued (sent again when the phone
// reconnects); the hub performs each action id once, so a replay never doubles an action.
// A refusal by the hub (4xx) takes the action out of the queue and reports why.
import { api, HttpError } from "./api.js";

const DB = "gridwall-responder";
const STORE = "actions";
let flushing = null;
const listeners = new Set();

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const out = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(out && "result" in out ? out.result : undefined);
    t.onerror = () => reject(t.error);
  });
}

export const pending = () => tx("readonly", (s) => s.getAll());
const remove = (seq) => tx("readwrite", (s) => s.delete(seq));

export function onChange(fn) { listeners.add(fn); }
async function changed(event) { const n = (await pending()).length; listeners.forEach((fn) => fn(n, event)); }

export async function enqueue(item) {
  const entry = { ...item, action_id: crypto.randomUUID().replaceAll("-", ""), queued_ms: Date.now() };
  await tx("readwrite", (s) => s.add(entry));
  await changed({ queued: entry });
  flush();
  return entry;
}

// A patrol report (report.js) as the hub takes it; its id is the queue's action id.
function patrolForm(item) {
  const form = new FormData();
  form.append("report_id", item.action_id);
  form.append("category", item.category);
  if (item.lon != null && item.lat != null) { form.append("lon", item.lon); form.append("lat", item.lat); }
  if (item.note) form.append("note", item.note);
  form.append("on_the_spot", item.on_the_spot ? "true" : "false");
  for (const p of item.photos || []) form.append("photos", p.blob, p.name);
  for (const p of item.after || []) form.append("after_photos", p.blob, p.name);
  return form;
}

async function send(item) {
  if (item.action === "patrol") return api("/api/intake/patrol", { method: "POST", body: patrolForm(item) });
  if (item.action === "resolve") {
    const form = new FormData();
    form.append("action_id", item.action_id);
    form.append("case_no", item.case_no);
    if (item.note) form.append("note", item.note);
    for (const p of item.photos || []) form.append("photos", p.blob, p.name);
    return api("/api/responder/actions/resolve", { method: "POST", body: form });
  }
  const body = { action_id: item.action_id, case_no: item.case_no, action: item.action };
  if (item.reason) body.reason = item.reason;
  if (item.note) body.note = item.note;
  return api("/api/responder/actions", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
}

export function flush() {
  if (!flushing) flushing = drain().finally(() => { flushing = null; });
  return flushing;
}

async function drain() {
  for (const item of await pending()) {            // in the order they were queued
    let result;
    try {
      result = await send(item);
    } catch (err) {
      if (err instanceof HttpError && err.status >= 400 && err.status < 500 && err.status !== 409 && err.status !== 401) {
        await remove(item.seq);                  // refused: not worth sending again
        await changed({ failed: item, error: err.message });
        continue;
      }
      await changed({ offline: item });          // no network (or busy): keep it, stop here
      return;
    }
    await remove(item.seq);
    await changed(result && result.ok === false ? { failed: item, error: result.error } : { done: item, result });
  }
}

addEventListener("online", () => flush());
setInterval(() => navigator.onLine && flush(), 15000);

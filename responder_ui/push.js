// Pushes: the service worker shows Web Push notifications when the page is closed; while it
// is open, the hub's live stream of my pushes updates the page at once.
import { api, follow } from "./api.js";

const b64ToBytes = (b64) => {
  const s = atob(b64.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
};

export async function registerWorker() {
  if (!("serviceWorker" in navigator)) return null;
  return navigator.serviceWorker.register("sw.js", { scope: "./" });
}

export async function subscribePush(reg) {
  if (!reg || !("PushManager" in window)) return "this browser has no Web Push";
  const { public_key } = await api("/api/push/vapid-key");
  if (!public_key) return "the hub has no VAPID key: pushes arrive while the app is open";
  if ((await Notification.requestPermission()) !== "granted") return "notifications not allowed";
  const sub = (await reg.pushManager.getSubscription()) ||
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(public_key) }));
  await api("/api/push/subscriptions", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(sub.toJSON()),
  });
  return "subscribed";
}

export function followLive(onPush) {
  return follow("/api/push/live", { push: (e) => onPush(JSON.parse(e.data)) });
}

// The hub's change stream, which for a responder carries only the changes of my cases: keeps
// what the page shows current between pushes (an operator's note, the escalation that takes
// a case off me). Changes arriving together are handed over as one batch of case numbers.
// The stream reconnects by itself and resumes from the last id it saw.
export function followChanges(onChanges, settleMs = 250) {
  const refs = new Set();
  let timer = null;
  return follow("/api/stream", {
    case: (e) => {
      refs.add(JSON.parse(e.data).ref);
      clearTimeout(timer);
      timer = setTimeout(() => { const batch = [...refs]; refs.clear(); onChanges(batch); }, settleMs);
    },
  });
}

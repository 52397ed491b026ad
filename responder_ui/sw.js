// Service worker: keeps the app shell for offline use and shows pushes as notifications.
const SHELL = "gridwall-responder-v2";
const FILES = ["./", "index.html", "app.js", "api.js", "queue.js", "report.js", "map.js", "push.js", "style.css", "manifest.webmanifest", "icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !url.pathname.startsWith("/m/")) return;  // API: network only
  event.respondWith(
    fetch(event.request)
      .then((resp) => { const copy = resp.clone(); caches.open(SHELL).then((c) => c.put(event.request, copy)); return resp; })
      .catch(() => caches.match(event.request, { ignoreSearch: true })),
  );
});

self.addEventListener("push", (event) => {
  let p = {};
  try { p = event.data ? event.data.json() : {}; } catch { p = { place: event.data && event.data.text() }; }
  const due = p.deadline_ms ? ` · 截止 ${new Date(p.deadline_ms).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" })}` : "";
  const title = `${p.kind === "escalation" ? "升级 " : ""}${p.category_name || "新案件"} · ${p.case_no || ""}`;
  event.waitUntil(self.registration.showNotification(title, {
    body: `${p.place || ""}${due}`,
    tag: p.case_no,            // one notification per case: updates replace it
    renotify: p.kind === "dispatch" || p.kind === "escalation",
    data: { case_no: p.case_no },
    icon: "icon.svg",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = `./#/case/${event.notification.data.case_no}`;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((wins) => {
    for (const w of wins) { w.navigate(target); return w.focus(); }
    return self.clients.openWindow(target);
  }));
});

// The hub's API as the responder app uses it. The token comes once with the sign-in link, in
// its fragment (/m/#access_token=…, which the browser never sends to a server, so it is in
// no access log; an old ?access_token= link still works), is taken out of the address bar and
// lives in localStorage; every call sends it as a bearer token.
const KEY = "gw-responder-token";

function takeTokenFromUrl() {
  const query = new URLSearchParams(location.search);
  const hash = location.hash.startsWith("#access_token=") ? new URLSearchParams(location.hash.slice(1)) : null;
  const given = hash?.get("access_token") || query.get("access_token");
  if (!given) return;
  localStorage.setItem(KEY, given);
  query.delete("access_token");
  const rest = query.toString();
  history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}${hash ? "#/cases" : location.hash}`);
}
takeTokenFromUrl();

export function token() {
  return localStorage.getItem(KEY) || "";
}

export function signOut() {
  localStorage.removeItem(KEY);
}

export class HttpError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
  }
}

export async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${token()}`, ...(options.headers || {}) };
  const resp = await fetch(path, { ...options, headers });
  if (!resp.ok) {
    let detail = resp.statusText;
    try { detail = (await resp.json()).detail ?? detail; } catch { /* not JSON */ }
    throw new HttpError(resp.status, detail);
  }
  return resp.status === 204 ? null : resp.json();
}

// A ticket (POST /api/tickets) opens what the browser fetches by itself (EventSource, <img>
// of a snapshot, the MJPEG live view): short-lived, good for streams and pictures only, so the
// token itself never goes into a URL. keepTicket() gets one and renews it at half its life.
// A refused token (401) stops the renewals and the streams: retrying a wrong token would only
// count against this phone's address (the hub blocks an address after repeated failures).
let ticket = "";
let renewing = null;
let refused = false;
export async function refreshTicket() {
  if (refused) throw new HttpError(401, "token refused");
  try {
    const t = await api("/api/tickets", { method: "POST" });
    ticket = t.ticket;
    return t.ttl_s;
  } catch (err) {
    if (err.status === 401) { refused = true; clearInterval(renewing); }
    throw err;
  }
}
export async function keepTicket() {
  if (renewing || !token()) return;
  const ttl = await refreshTicket().catch(() => 60);
  if (!refused) renewing = setInterval(() => refreshTicket().catch(() => {}), Math.max(5, ttl / 2) * 1000);
}

export const withTicket = (url) => `${url}${url.includes("?") ? "&" : "?"}ticket=${encodeURIComponent(ticket)}`;

// An EventSource that survives its ticket: the browser retries a dropped stream by itself;
// one closed for good (a refused, expired ticket) is reopened with a fresh ticket, resuming
// after the last event seen (?since=).
export function follow(path, listeners) {
  let source = null;
  let last = "";
  let retry = 1000;
  const open = () => {
    if (refused) return;
    if (!ticket) {  // offline at start, or the hub away: try for a ticket again later
      setTimeout(() => refreshTicket().catch(() => {}).then(open), retry);
      retry = Math.min(retry * 2, 15000);
      return;
    }
    const url = withTicket(last ? `${path}?since=${encodeURIComponent(last)}` : path);
    source = new EventSource(url);
    source.addEventListener("open", () => { retry = 1000; });
    for (const [name, fn] of Object.entries(listeners)) {
      source.addEventListener(name, (e) => { if (e.lastEventId) last = e.lastEventId; fn(e); });
    }
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) return;
      setTimeout(() => refreshTicket().catch(() => {}).then(open), retry);
      retry = Math.min(retry * 2, 15000);
    });
  };
  open();
  return { close: () => source?.close() };
}

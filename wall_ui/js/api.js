// Every URL the wall and the console use, in one place, so the hub's paths are easy to adjust.
// Wall state, alarms and the live stream are served by hub/wall; video, cases and KPIs are
// the hub's own endpoints (hub/video, hub/api).

const params = new URLSearchParams(location.search);
export const base = params.get("api") || "";
/** WHEP endpoint base (the built-in relay or an external media server such as MediaMTX). */
export const videoBase = params.get("video") || base;

const enc = encodeURIComponent;

/** The hub's bearer token, given once in the kiosk URL's fragment (#token=…, which the
 * browser never sends to a server, so it is in no access log) and remembered by this screen.
 * An old-style ?token= link still works; either way it is taken out of the address bar. */
{
  const hash = new URLSearchParams(location.hash.slice(1));
  const given = hash.get("token") || params.get("token");
  if (given) {
    localStorage.setItem("gw-token", given);
    hash.delete("token");
    params.delete("token");
    const query = params.toString();
    const rest = hash.toString();
    history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${rest ? `#${rest}` : ""}`);
  }
}
export const token = () => localStorage.getItem("gw-token") || "";
export const authHeaders = () => (token() ? { Authorization: `Bearer ${token()}` } : {});

/** A ticket (POST /api/tickets) opens the URLs the browser fetches by itself (EventSource,
 * <img>, <video>), which cannot carry the token: short-lived and good for streams and
 * pictures only. keepTicket() gets one and renews it at half its life. */
let ticket = "";
let renewing = null;
export async function refreshTicket() {
  if (!token()) return 0;
  const res = await fetch(`${base}/api/tickets`, { method: "POST", headers: authHeaders() });
  if (res.status === 401) clearInterval(renewing); // a refused token: retrying only counts against this screen
  if (!res.ok) throw new ApiError(res.status, res.statusText);
  const t = await res.json();
  ticket = t.ticket;
  return t.ttl_s;
}
export async function keepTicket() {
  if (renewing) return;
  const ttl = await refreshTicket().catch(() => 60);
  renewing = setInterval(() => refreshTicket().catch(() => {}), Math.max(5, ttl / 2) * 1000);
}
const withToken = (url) => (ticket ? `${url}${url.includes("?") ? "&" : "?"}ticket=${enc(ticket)}` : url);

export const paths = {
  // hub/wall: wall state, scenes, tours, the wall's alarm view and its live stream
  wall: (wall) => `${base}/api/wall/walls/${enc(wall)}`,
  wallEvents: (wall) => withToken(`${base}/api/wall/walls/${enc(wall)}/events`),
  walls: () => `${base}/api/wall/walls`,
  layout: (wall, m) => `${base}/api/wall/walls/${enc(wall)}/monitors/${m}/layout`,
  tile: (wall, m, s) => `${base}/api/wall/walls/${enc(wall)}/monitors/${m}/tiles/${s}`,
  showScene: (wall, name) => `${base}/api/wall/walls/${enc(wall)}/scene/${enc(name)}`,
  tour: (wall, name) => `${base}/api/wall/walls/${enc(wall)}/tour` + (name ? `/${enc(name)}` : ""),
  scenes: () => `${base}/api/wall/scenes`,
  scene: (name) => `${base}/api/wall/scenes/${enc(name)}`,
  tours: () => `${base}/api/wall/tours`,
  tourDef: (name) => `${base}/api/wall/tours/${enc(name)}`,
  alarms: (limit) => `${base}/api/wall/alarms` + (limit ? `?limit=${limit}` : ""),
  confirm: (id) => `${base}/api/wall/alarms/${enc(id)}/confirm`,
  reject: (id) => `${base}/api/wall/alarms/${enc(id)}/reject`,
  ack: (id) => `${base}/api/wall/alarms/${enc(id)}/ack`,
  district: () => `${base}/api/wall/district`,
  // the county's cameras a page at a time (the picker) and as the map's view holds them
  cameras: (query) => `${base}/api/wall/cameras?${query}`,
  cameraMap: (bbox, wall) => `${base}/api/wall/cameras/map?` + new URLSearchParams([
    ...(bbox ? [["bbox", bbox.map((v) => v.toFixed(6)).join(",")]] : []), ...(wall ? [["wall", wall]] : [])]),
  snapshot: (id) => withToken(`${base}/api/wall/snapshots/${enc(id)}`),
  // hub/video: WHEP per camera (the wall plays the sub-stream), alarm clips from the pre-event buffer
  whep: (camera) => `${videoBase}/video/${enc(camera)}/whep?rendition=sub`,
  clip: (alarm) =>
    withToken(`${base}/video/${enc(alarm.camera_id)}/clip?start_ms=${alarm.started_ms - 10000}&end_ms=${alarm.started_ms + 2000}`),
  // hub/api: cases and KPIs
  cases: (query) => `${base}/api/cases` + (query ? `?${query}` : ""),
  caseDetail: (no) => `${base}/api/cases/${enc(no)}`,
  caseTimeline: (no) => `${base}/api/cases/${enc(no)}/timeline`,
  caseAction: (no) => `${base}/api/cases/${enc(no)}/actions`,
  caseCandidates: (no) => `${base}/api/cases/${enc(no)}/candidates`,
  supervision: `${base}/api/supervision`,
  supervisionOrder: (no) => `${base}/api/cases/${enc(no)}/supervision-orders`,
  caseClip: (no) => withToken(`${base}/video/cases/${enc(no)}/clip`),
  kpis: () => `${base}/api/kpis?by=street`,
  // hub/records, hub/reports: assessment figures, the cases behind one, the report as a file
  reports: (q) => `${base}/api/reports?${q}`,
  reportNames: (level, keys) => `${base}/api/reports/names?level=${enc(level)}` + (keys ? `&keys=${enc(keys.join(","))}` : ""),
  reportCases: (q) => `${base}/api/reports/cases?${q}`,
  reportExport: (q) => `${base}/api/reports/export?${q}`,
  // hub/intake: an operator's case, the citizens' triage queue, the 12345 CSV upload
  intakeOperator: () => `${base}/api/intake/operator`,
  triage: () => `${base}/api/intake/triage`,
  triageDecide: (no) => `${base}/api/intake/triage/${enc(no)}`,
  importCsv: (source) => `${base}/api/intake/import.csv?source=${enc(source)}`,
  media: (id) => withToken(`${base}/api/media/${enc(id)}`),
  liveStill: (camera) => `${videoBase}/video/${enc(camera)}/snapshot.jpg`,
  // hub/video/recordings.py: a box's recordings, proxied (segments, alarm marks, clip export)
  videoConfig: () => `${base}/video/config`,
  recordings: (camera, s, e) => `${base}/video/${enc(camera)}/recordings?start_ms=${Math.floor(s)}&end_ms=${Math.ceil(e)}`,
  recordingSegment: (camera, id) => withToken(`${base}/video/${enc(camera)}/recordings/segments/${id}.mp4`),
  recordingClip: (camera, s, e) =>
    withToken(`${base}/video/${enc(camera)}/recordings/clip.mp4?start_ms=${Math.floor(s)}&end_ms=${Math.ceil(e)}`),
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

export async function call(method, url, body) {
  const init = { method, headers: authHeaders() };
  if (body instanceof FormData) {
    init.body = body; // multipart: the browser writes the boundary
  } else if (body instanceof Blob) {
    init.headers["Content-Type"] = body.type || "application/octet-stream";
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const j = await res.json();
      detail = typeof j.detail === "string" ? j.detail : JSON.stringify(j.detail);
    } catch (_e) {
      /* not JSON */
    }
    throw new ApiError(res.status, detail);
  }
  if (res.status === 204) return null;
  return res.json();
}

export const get = (url) => call("GET", url);
export const put = (url, body) => call("PUT", url, body);
export const post = (url, body) => call("POST", url, body ?? {});
export const del = (url) => call("DELETE", url);

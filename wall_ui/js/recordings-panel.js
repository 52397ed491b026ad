// The console's recordings panel: a camera's last 24 h as a timeline (recorded segments as
// bars, alarms as red marks; a 6 h or 1 h zoom around what plays), playback in a <video> from any point (a click on the timeline
// or on a mark; the player's own seek bar within a segment), the next segment following on
// at the end, and a clip of [from, to] exported as an MP4. The hub proxies the box's
// recordings (hub/video/recordings.py); nothing here is stored by the hub.
import { ApiError, get, paths } from "./api.js";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const HOUR_MS = 3600 * 1000;
const view = { camera: "", t0: 0, t1: 0, segments: [], alarms: [], playing: null, at: 0 };

const say = (text, ok) => {
  const el = $("#rec-note");
  el.textContent = text;
  el.classList.toggle("ok", Boolean(ok));
};
const pct = (ms) => `${(((ms - view.t0) / (view.t1 - view.t0)) * 100).toFixed(4)}%`;
const pad = (n) => String(n).padStart(2, "0");
const clock = (ms) => {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};
// a datetime-local value (local time, seconds) and back
const toInput = (ms) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${clock(ms)}`;
};
const fromInput = (value) => new Date(value).getTime();

function drawTimeline() {
  const box = $("#rec-timeline");
  const hours = [];
  const span = view.t1 - view.t0;
  const every = span > 12 * HOUR_MS ? 3 * HOUR_MS : span > 3 * HOUR_MS ? HOUR_MS : 10 * 60000;
  for (let h = Math.ceil(view.t0 / every) * every; h < view.t1; h += every) {
    hours.push(`<span class="tick" style="left:${pct(h)}">${clock(h).slice(0, 5)}</span>`);
  }
  const bars = view.segments.map((s) =>
    `<span class="seg" data-id="${s.id}" style="left:${pct(Math.max(s.start_ms, view.t0))};width:${pct(view.t0 + Math.min(s.end_ms, view.t1) - Math.max(s.start_ms, view.t0))}"></span>`);
  const marks = view.alarms.map((a) =>
    `<span class="mark" data-event-id="${esc(a.event_id)}" data-start-ms="${a.started_ms}" title="${esc(a.category)} ${clock(a.started_ms)}" style="left:${pct(a.started_ms)}"></span>`);
  box.innerHTML = `${hours.join("")}${bars.join("")}${marks.join("")}<span class="cursor" hidden></span>`;
  box.dataset.segments = String(view.segments.length);
  box.dataset.alarms = String(view.alarms.length);
  box.dataset.t0 = String(view.t0);
  box.dataset.t1 = String(view.t1);
}

function moveCursor(ms) {
  view.at = ms;
  const cur = $("#rec-timeline .cursor");
  if (!cur) return;
  cur.hidden = false;
  cur.style.left = pct(ms);
  $("#rec-now").textContent = `${view.camera} ${new Date(ms).toLocaleString()}`;
  $("#rec-video").dataset.positionMs = String(Math.round(ms));
}

function segmentAt(ms) {
  return view.segments.find((s) => s.end_ms > ms && s.start_ms <= ms) || view.segments.find((s) => s.start_ms > ms);
}

async function play(ms) {
  const seg = segmentAt(ms);
  const video = $("#rec-video");
  if (!seg) return say(`${clock(ms)}: 没有录像 · nothing recorded from here on`);
  const offset_s = Math.max(0, (ms - seg.start_ms) / 1000);
  if (view.playing?.id === seg.id && video.readyState >= 1) {
    video.currentTime = offset_s;
    return video.play().catch(() => {});
  }
  view.playing = seg;
  video.dataset.segment = String(seg.id);
  video.src = paths.recordingSegment(view.camera, seg.id);
  video.addEventListener("loadedmetadata", () => {
    video.currentTime = offset_s;
    video.play().catch(() => {});
  }, { once: true });
  say("");
}

// the window shown: the last 24 h, or a zoom of 6 h / 1 h around what plays (else ending now)
async function load() {
  const pick = $("#rec-pick");
  view.camera = pick.camera.value;
  if (!view.camera) return;
  const span = Number(pick.span.value) * HOUR_MS;
  const now = Date.now();
  view.t1 = Math.round(span >= 24 * HOUR_MS || !view.at ? now : Math.min(now, view.at + span / 2));
  view.t0 = view.t1 - span;
  try {
    const got = await get(paths.recordings(view.camera, view.t0, view.t1));
    view.segments = got.segments;
    view.alarms = got.alarms;
  } catch (e) {
    view.segments = [];
    view.alarms = [];
    say(e instanceof ApiError ? `${e.status}: ${e.detail}` : String(e));
  }
  drawTimeline();
}

function exportClip(ev) {
  ev.preventDefault();
  const form = $("#rec-export");
  const from = fromInput(form.from.value);
  const to = fromInput(form.to.value);
  if (!(to > from)) return say("导出区间无效 · the clip must end after it starts");
  const a = document.createElement("a");
  a.href = paths.recordingClip(view.camera, from, to);
  a.download = `${view.camera}-${from}-${to}.mp4`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  say(`导出 · exporting ${clock(from)}–${clock(to)}`, true);
}

export async function startRecordingsPanel() {
  const video = $("#rec-video");
  const pick = $("#rec-pick");
  try {
    const config = await get(paths.videoConfig());
    pick.camera.innerHTML = config.cameras.map((c) => `<option>${esc(c)}</option>`).join("");
  } catch (_e) {
    return; // no video for this caller: the panel stays empty
  }
  pick.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  pick.span.addEventListener("change", () => load().then(() => view.at && moveCursor(view.at)));
  pick.camera.addEventListener("change", () => { view.at = 0; view.playing = null; load(); });
  $("#rec-timeline").addEventListener("click", (ev) => {
    const mark = ev.target.closest(".mark");
    if (mark) {
      const alarm = view.alarms.find((a) => a.event_id === mark.dataset.eventId);
      return play(alarm.clip_start_ms);
    }
    const r = ev.currentTarget.getBoundingClientRect();
    play(view.t0 + ((ev.clientX - r.left) / r.width) * (view.t1 - view.t0));
  });
  video.addEventListener("timeupdate", () => {
    if (!view.playing) return;
    const at = view.playing.start_ms + video.currentTime * 1000;
    moveCursor(at);
    const form = $("#rec-export");
    if (!form.dataset.touched) {
      form.from.value = toInput(at - 10000);
      form.to.value = toInput(at + 20000);
    }
  });
  video.addEventListener("ended", () => {
    const next = view.segments.find((s) => s.start_ms >= view.playing.end_ms - 1000 && s.id !== view.playing.id);
    if (next) play(next.start_ms);
  });
  $("#rec-export").addEventListener("input", (ev) => { ev.currentTarget.dataset.touched = "1"; });
  $("#rec-export").addEventListener("submit", exportClip);
  await load();
  setInterval(load, 60000);
}

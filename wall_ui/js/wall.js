// One monitor of a wall: /wall/?wall=main&monitor=2 (kiosk window), or monitor=all to see
// the whole wall in one window. Draws this monitor's layout from the wall state the hub
// streams; a reloaded window gets the same state on connect, so it comes back as it was.
import "./gw-tile.js";
import { get, keepTicket, paths, put } from "./api.js";
import { loadLang, t } from "./i18n.js";
import { subscribe } from "./live.js";
import { MapPanel } from "./map-panel.js";
import { KpiPanel } from "./kpi-panel.js";

const params = new URLSearchParams(location.search);
const wallName = params.get("wall") || "main";
const which = params.get("monitor") ?? "all";
const root = document.getElementById("wall");
const screens = new Map(); // monitor index -> {layout, el, slots: [element]}
let district = null;
let last = null;

function monitorIndexes(state) {
  const n = state.monitors.length;
  if (which === "all") return [...Array(n).keys()];
  const i = Number(which);
  return Number.isInteger(i) && i >= 0 && i < n ? [i] : [];
}

function render(payload) {
  last = payload;
  const { state, spec, layouts } = payload;
  document.body.dataset.version = state.version;
  drawFleet(payload.fleet || []);
  drawQueue(payload);
  const shown = monitorIndexes(state);
  if (!shown.length) {
    root.textContent = t("wall.noMonitor", { monitor: which, count: state.monitors.length });
    return;
  }
  root.style.gridTemplateColumns = which === "all" ? `repeat(${spec.cols}, 1fr)` : "1fr";
  root.style.gridTemplateRows = which === "all" ? `repeat(${spec.rows}, 1fr)` : "1fr";
  for (const [i, scr] of screens) {
    if (!shown.includes(i)) {
      scr.el.remove();
      screens.delete(i);
    }
  }
  for (const m of shown) renderMonitor(m, state.monitors[m], layouts[state.monitors[m].layout], payload);
}

function renderMonitor(m, mon, layout, payload) {
  let scr = screens.get(m);
  if (!scr || scr.layout !== mon.layout) {
    scr?.el.remove();
    const el = document.createElement("section");
    el.className = "monitor";
    el.dataset.monitor = m;
    el.dataset.layout = mon.layout;
    el.style.gridTemplateColumns = `repeat(${layout.cols}, 1fr)`;
    el.style.gridTemplateRows = `repeat(${layout.rows}, 1fr)`;
    const slots = layout.slots.map((s, i) => {
      const node = s.kind === "video" ? document.createElement("gw-tile") : panel(s.kind);
      node.classList.add("slot");
      node.dataset.slot = i;
      node.dataset.monitor = m;
      node.style.gridArea = `${s.row + 1} / ${s.col + 1} / span ${s.h} / span ${s.w}`;
      el.append(node);
      return node;
    });
    scr = { layout: mon.layout, el, slots };
    screens.set(m, scr);
    const after = [...root.children].find((c) => Number(c.dataset.monitor) > m);
    root.insertBefore(el, after || null); // in monitor order, without moving live tiles
  }
  mon.tiles.forEach((tile, i) => {
    const node = scr.slots[i];
    if (node.tagName === "GW-TILE") fillTile(node, tile, payload);
    else node.update?.(payload, district);
  });
}

function panel(kind) {
  const el = document.createElement("div");
  el.className = `panel ${kind}`;
  const impl = kind === "map" ? new MapPanel(el, focusCamera) : new KpiPanel(el);
  el.update = (payload) => impl.update(payload, district);
  el.ticker = (c) => impl.ticker?.(c);
  el.live = (k) => impl.live?.(k);
  return el;
}

function fillTile(node, tile, payload) {
  const cam = tile?.camera_id;
  if (cam) node.setAttribute("camera", cam);
  else node.removeAttribute("camera");
  const info = cam ? payload.cameras[cam] : null;
  node.toggleAttribute("offline", !!info && info.online === false);
  node.toggleAttribute("not-started", !!info && info.status === "not_started");
  node.cameraInfo = info && { ...info, grid_name: gridName(info.grid_code) };
  node.alarm = tile?.kind === "alarm" ? payload.alarms[tile.alarm_id] || null : null;
}

// Fleet alarms (box or camera offline, from the hub's fleet service) in a banner across
// the bottom of every monitor until they clear; their cameras' tiles show "offline".
const banner = Object.assign(document.createElement("div"), { id: "fleet-banner" });
document.body.append(banner);

function drawFleet(alarms) {
  banner.hidden = alarms.length === 0;
  banner.dataset.count = String(alarms.length);
  banner.innerHTML = alarms
    .map((a) => {
      const what = a.key.startsWith("box:") ? t("fleet.box", { box: a.box_id }) :
        t("fleet.camera", { camera: a.camera_name || a.camera_id, box: a.box_id });
      const since = new Date(a.at_ms).toLocaleTimeString("zh-CN", { hour12: false });
      return `<span class="fleet" data-key="${a.key}">⚠ ${what} · ${since}</span>`;
    })
    .join("");
}

// Alarms the storm rule (hub/domain/wall_storm.py) keeps off the tiles: how many wait, and
// the grids most of them are in, at the top right of every monitor.
const queueBox = Object.assign(document.createElement("div"), { id: "alarm-queue" });
document.body.append(queueBox);

function drawQueue(payload) {
  const total = payload.queue_total || 0;
  queueBox.hidden = total === 0;
  queueBox.dataset.count = String(total);
  queueBox.innerHTML = `<b>${t("wall.queue", { count: total })}</b>` + (payload.queue_by_grid || [])
    .slice(0, 4)
    .map((g) => `<span class="grid sev${g.severity}">${gridName(g.grid_code)} ×${g.count}</span>`)
    .join(" · ");
}

function gridName(code) {
  const f = district?.grids.features.find((g) => g.properties.code === code);
  return f ? f.properties.name_zh : code;
}

async function focusCamera(cameraId) {
  // the map's click: show that camera in the first video slot of the map's monitor
  const m = Number(which === "all" ? 0 : which);
  const layout = last.layouts[last.state.monitors[m].layout];
  const slot = layout.slots.findIndex((s) => s.kind === "video");
  if (slot >= 0) await put(paths.tile(wallName, m, slot), { camera_id: cameraId });
}

async function main() {
  await loadLang();
  document.body.classList.toggle("single", which !== "all");
  district = await get(paths.district()); // with the screen's token
  await keepTicket(); // for the live stream, snapshots and clips
  subscribe(() => paths.wallEvents(wallName), {
    state: render,
    ticker: (c) => document.querySelectorAll(".panel.kpi").forEach((p) => p.ticker(c)),
    // the hub pushes the area's live KPIs whenever a case event moved them (hub/kpis)
    kpis: (k) => document.querySelectorAll(".panel.kpi").forEach((p) => p.live(k)),
    fleet: (a) => document.querySelectorAll(".panel.kpi").forEach((p) => p.ticker(a)),
    gone: () => (root.textContent = t("wall.unknown", { wall: wallName })),
    connected: (ok) => document.body.classList.toggle("offline", !ok),
  });
}

main();

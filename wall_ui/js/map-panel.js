// The district map, drawn from the grids' GeoJSON in SVG (no tiles): cells coloured by open
// alarms/cases, community and street boundaries bold (derived from the 15-digit codes:
// street = first 9 digits, community = first 12), camera pins, case markers; a click on a
// pin focuses that camera. The pins come from the hub for the map's view
// (/api/wall/cameras/map): up to a few hundred as pins, more as clusters with their count
// (a county's 12,000 cameras are never 12,000 SVG nodes); a click on a cluster zooms to it,
// the "全域" button back out. Pins are fetched again at most every PIN_REFRESH_MS.
import { get, paths } from "./api.js";

const SVG = "http://www.w3.org/2000/svg";
const PIN_REFRESH_MS = 2000;
const WALL = new URLSearchParams(location.search).get("wall"); // a street's wall: its cameras

export class MapPanel {
  constructor(el, onFocus) {
    this.el = el;
    this.onFocus = onFocus;
    this.svg = null;
  }

  build(district) {
    const basic = district.grids.features.filter((f) => (f.properties.kind || "basic") === "basic");
    const pts = basic.flatMap((f) => f.geometry.coordinates[0]);
    const lon0 = Math.min(...pts.map((p) => p[0]));
    const lon1 = Math.max(...pts.map((p) => p[0]));
    const lat0 = Math.min(...pts.map((p) => p[1]));
    const lat1 = Math.max(...pts.map((p) => p[1]));
    const k = Math.cos(((lat0 + lat1) / 2) * (Math.PI / 180)); // equirectangular, true at mid-latitude
    const w = (lon1 - lon0) * k;
    const h = lat1 - lat0;
    const scale = 1000 / Math.max(w, h);
    this.project = ([lon, lat]) => [((lon - lon0) * k * scale).toFixed(1), ((lat1 - lat) * scale).toFixed(1)];
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `-10 -10 ${w * scale + 20} ${h * scale + 20}`);
    svg.setAttribute("class", "map");
    const cells = document.createElementNS(SVG, "g");
    this.cells = new Map();
    for (const f of basic) {
      const p = document.createElementNS(SVG, "path");
      p.setAttribute("d", this.path(f.geometry.coordinates[0]));
      p.setAttribute("class", "cell");
      p.dataset.code = f.properties.code;
      const title = document.createElementNS(SVG, "title");
      title.textContent = f.properties.name_zh;
      p.append(title);
      cells.append(p);
      this.cells.set(f.properties.code, p);
    }
    svg.append(cells, this.boundaries(basic, 12, "community"), this.boundaries(basic, 9, "street"));
    this.pins = document.createElementNS(SVG, "g");
    this.marks = document.createElementNS(SVG, "g");
    svg.append(this.pins, this.marks);
    this.home = svg.getAttribute("viewBox");
    this.view = null; // null: the whole district; else [west, south, east, north]
    this.unproject = ([x, y]) => [lon0 + x / (k * scale), lat1 - y / scale];
    const out = Object.assign(document.createElement("button"), { className: "map-home", textContent: "全域" });
    out.hidden = true;
    out.addEventListener("click", () => this.zoom(null));
    this.el.replaceChildren(svg, out);
    this.out = out;
    this.svg = svg;
  }

  /** Zoom to a cluster's box (padded), or back to the whole district (null). */
  zoom(bbox) {
    this.view = bbox && [bbox[0] - 0.002, bbox[1] - 0.002, bbox[2] + 0.002, bbox[3] + 0.002];
    if (this.view) {
      const [x0, y1] = this.project([this.view[0], this.view[1]]).map(Number);
      const [x1, y0] = this.project([this.view[2], this.view[3]]).map(Number);
      this.svg.setAttribute("viewBox", `${x0} ${y0} ${x1 - x0} ${y1 - y0}`);
    } else {
      this.svg.setAttribute("viewBox", this.home);
    }
    this.out.hidden = !this.view;
    clearTimeout(this.timer);
    this.timer = null;
    this.fetched = 0;
    this.refreshPins();
  }

  /** The cameras in view from the hub: one request at a time, at most every PIN_REFRESH_MS,
   * and one more after the last call that came too soon (a state never goes unseen). */
  refreshPins() {
    if (this.timer) return;
    const wait = Math.max(0, (this.fetched || 0) + PIN_REFRESH_MS - Date.now());
    this.timer = setTimeout(() => this.loadPins(), wait);
  }

  async loadPins() {
    try {
      this.fetched = Date.now();
      this.drawPins(await get(paths.cameraMap(this.view, WALL)));
    } catch (_e) {
      /* the next state retries */
    } finally {
      this.timer = null;
    }
  }

  drawPins(res) {
    const box = this.svg.viewBox.baseVal;
    const r = Math.max(box.width, box.height) / 110; // the same size on screen at any zoom
    const nodes = res.pins.map((c) => {
      const [x, y] = this.project([c.lon, c.lat]);
      const pin = document.createElementNS(SVG, "circle");
      pin.setAttribute("cx", x);
      pin.setAttribute("cy", y);
      pin.setAttribute("r", r);
      pin.setAttribute("class", `pin ${c.status === "offline" ? "down" : ""} ${c.status === "not_started" ? "idle" : ""}`);
      pin.dataset.camera = c.camera_id;
      pin.addEventListener("click", () => this.onFocus(c.camera_id));
      return pin;
    });
    for (const c of res.clusters) {
      const [x, y] = this.project([c.lon, c.lat]);
      const g = document.createElementNS(SVG, "g");
      g.setAttribute("class", `cluster ${c.offline ? "some-down" : ""}`);
      g.dataset.count = String(c.count);
      const dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", x);
      dot.setAttribute("cy", y);
      dot.setAttribute("r", r * (1.4 + Math.min(2, Math.log10(c.count))));
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("x", x);
      label.setAttribute("y", y);
      label.setAttribute("font-size", r * 1.6);
      label.textContent = String(c.count);
      g.append(dot, label);
      g.addEventListener("click", () => this.zoom(c.bbox));
      nodes.push(g);
    }
    this.pins.replaceChildren(...nodes);
    this.pins.dataset.total = String(res.total);
  }

  path(ring) {
    return "M" + ring.map((p) => this.project(p).join(",")).join("L") + "Z";
  }

  /** Edges whose two sides belong to different units (or to one cell only) are boundaries. */
  boundaries(features, digits, cls) {
    const edges = new Map();
    const key = (p) => `${p[0].toFixed(6)},${p[1].toFixed(6)}`;
    for (const f of features) {
      const unit = f.properties.code.slice(0, digits);
      const ring = f.geometry.coordinates[0];
      for (let i = 0; i + 1 < ring.length; i++) {
        const a = key(ring[i]);
        const b = key(ring[i + 1]);
        const id = a < b ? `${a}|${b}` : `${b}|${a}`;
        const e = edges.get(id) || { units: new Set(), n: 0, p: [ring[i], ring[i + 1]] };
        e.units.add(unit);
        e.n += 1;
        edges.set(id, e);
      }
    }
    const d = [...edges.values()]
      .filter((e) => e.n === 1 || e.units.size > 1)
      .map((e) => `M${this.project(e.p[0]).join(",")}L${this.project(e.p[1]).join(",")}`)
      .join("");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    path.setAttribute("class", `boundary ${cls}`);
    return path;
  }

  update(payload, district) {
    if (!district) return;
    if (!this.svg) this.build(district);
    const open = new Map();
    for (const a of Object.values(payload.alarms)) {
      if (a.grid_code) open.set(a.grid_code, (open.get(a.grid_code) || 0) + 1);
    }
    for (const [code, p] of this.cells) {
      const n = open.get(code) || 0;
      p.dataset.open = String(n);
      p.setAttribute("class", `cell ${n >= 3 ? "hot3" : n === 2 ? "hot2" : n === 1 ? "hot1" : ""}`);
    }
    this.refreshPins();
    this.marks.replaceChildren(
      ...Object.values(payload.alarms).map((a) => {
        const [x, y] = this.project([a.lon, a.lat]);
        const m = document.createElementNS(SVG, "path");
        m.setAttribute("d", `M${x},${y}l-12,-26h24z`);
        m.setAttribute("class", `mark ${a.status}`);
        m.dataset.alarm = a.alarm_id;
        return m;
      }),
    );
  }
}

// The district map, drawn from the grids' GeoJSON in SVG (no tiles): cells coloured by open
// alarms/cases, community and street boundaries bold (derived from the 15-digit codes:
// street = first 9 digits, community = first 12), camera pins, case markers; a click on a
// pin focuses that camera.
const SVG = "http://www.w3.org/2000/svg";

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
    this.el.replaceChildren(svg);
    this.svg = svg;
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
    this.pins.replaceChildren(
      ...Object.entries(payload.cameras).map(([id, c]) => {
        const [x, y] = this.project([c.lon, c.lat]);
        const pin = document.createElementNS(SVG, "circle");
        pin.setAttribute("cx", x);
        pin.setAttribute("cy", y);
        pin.setAttribute("r", 9);
        pin.setAttribute("class", `pin ${c.online ? "" : "down"} ${c.status === "not_started" ? "idle" : ""}`);
        pin.dataset.camera = id;
        pin.addEventListener("click", () => this.onFocus(id));
        return pin;
      }),
    );
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

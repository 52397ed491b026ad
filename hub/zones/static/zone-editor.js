// The zone editor of the fleet page: a camera's picture with its zones drawn over it, the grid
// map around the camera with each zone's target, and the push to the box.
//
// On the picture (the selected zone): click to add a point (after the selected one), drag a
// point to move it, double-click a point (or select it and press Delete) to remove it; pick
// another zone in the list or by its name on the picture (zones may overlap). On the
// map: click to put the selected zone's target there. Every change is checked by the hub
// (POST …/zones/check: the same checks as a push) and the grid each target falls in is shown;
// "Push" sends the zones through the box's remote config and follows its acknowledgement.

const SVG = "http://www.w3.org/2000/svg";
const STAGE_W = 640;
const MAP_W = 320;

const CSS = `
#zone-editor { margin: 8px 16px; padding: 10px; background: #16212e; border: 1px solid #2c3d52; }
#zone-editor h2 { font-size: 16px; margin: 0 0 8px; display: flex; gap: 12px; align-items: baseline; }
.ze-body { display: flex; gap: 16px; flex-wrap: wrap; }
#ze-stage { position: relative; background: #2a2f36; margin: 12px; }
#ze-stage img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: fill; }
#ze-stage .ze-none { position: absolute; inset: 0; display: grid; place-items: center; color: #9aa7b5; }
#ze-draw { position: absolute; inset: 0; overflow: visible; cursor: crosshair; }
#ze-draw polygon { fill: rgba(90, 160, 255, .18); stroke: #5aa0ff; stroke-width: 2; }
#ze-draw polygon.sel { fill: rgba(255, 196, 0, .22); stroke: #ffc400; }
#ze-draw polygon.bad { stroke: #ff5a5a; }
#ze-draw circle.vertex { fill: #ffc400; stroke: #000; stroke-width: 1; cursor: move; }
#ze-draw circle.vertex.sel { fill: #fff; }
#ze-draw text, #ze-map text { fill: #fff; font-size: 12px; paint-order: stroke; stroke: #000; stroke-width: 3px; }
.ze-side { min-width: 320px; max-width: 360px; display: grid; gap: 6px; align-content: start; }
.ze-side label { display: flex; gap: 6px; align-items: center; }
.ze-side input[type=text], .ze-side input[type=number] { width: 120px; }
#ze-zones li { cursor: pointer; } #ze-zones li.sel { color: #ffc400; }
#ze-map { background: #0f1720; border: 1px solid #2c3d52; cursor: crosshair; }
#ze-map polygon { fill: #1d2b3a; stroke: #3c5670; stroke-width: 1; }
#ze-map polygon.hit { fill: #2e5b3a; }
#ze-map circle.target { fill: #5aa0ff; stroke: #000; } #ze-map circle.target.sel { fill: #ffc400; }
#ze-map rect.mount { fill: #e5edf5; }
#ze-problems { color: #ffb4b4; margin: 0; padding-left: 18px; }
#ze-error { color: #ffb4b4; }
#ze-status[data-state=applied] { color: #5fd08a; }
#ze-status[data-state=refused], #ze-status[data-state=rejected], #ze-status[data-state=rolled_back], #ze-status[data-state=timed_out] { color: #ff6b6b; }
`;

const TEMPLATE = `
<h2>区域 Zones · <span id="ze-camera"></span> <small id="ze-box"></small>
  <button id="ze-close" type="button">close</button></h2>
<div class="ze-body">
  <div id="ze-stage"><div class="ze-none" hidden>no picture yet</div><img id="ze-snap" alt="" hidden>
    <svg id="ze-draw" xmlns="${SVG}"></svg></div>
  <div class="ze-side">
    <ul id="ze-zones"></ul>
    <div><button id="ze-new" type="button">+ zone</button>
      <button id="ze-delete" type="button">delete zone</button></div>
    <label>id <input id="ze-id" type="text"></label>
    <label>name <input id="ze-name" type="text"></label>
    <div id="ze-cats"></div>
    <div id="ze-rules"></div>
    <label>target lon <input id="ze-lon" type="number" step="0.000001"></label>
    <label>target lat <input id="ze-lat" type="number" step="0.000001"></label>
    <p id="ze-grid"></p>
    <svg id="ze-map" xmlns="${SVG}"></svg>
    <ul id="ze-problems"></ul>
    <div><button id="ze-push" type="button">push to box · 下发</button></div>
    <p id="ze-error" hidden></p>
    <p id="ze-status"></p>
  </div>
</div>`;

// The zone's rule settings the editor offers (contracts.cameras.ZoneRules; empty: the default).
const RULES = [
  ["min_confidence", "min confidence", 0.05, "0.35"],
  ["cylinder_min_count", "cylinders, at least", 1, "3"],
  ["cylinder_hold_s", "cylinders held, s", 0.5, "5"],
  ["waste_still_s", "waste still, s", 1, "8"],
  ["dust_hold_s", "dust held, s", 0.5, "5"],
];

const el = (id) => document.getElementById(id);
const svgEl = (name, attrs) => {
  const n = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  return n;
};
const round = (x, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

export class ZoneEditor {
  constructor(root, authHeaders) {
    this.root = root;
    this.auth = authHeaders;
    this.zones = [];
    this.sel = 0;
    this.selV = null;
    this.checks = [];
    this.drag = null;
    this.checkTimer = null;
    this.pollTimer = null;
    if (!document.getElementById("ze-style")) {
      const style = document.createElement("style");
      style.id = "ze-style";
      style.textContent = CSS;
      document.head.append(style);
    }
    root.innerHTML = TEMPLATE;
    this.bind();
  }

  async api(path, options = {}) {
    const r = await fetch(path, { ...options, headers: { ...this.auth, ...(options.headers || {}) } });
    let body = null;
    try { body = await r.json(); } catch { /* an empty or non-JSON body */ }
    if (!r.ok) {
      const detail = body && body.detail !== undefined ? body.detail : r.statusText;
      const err = new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
      err.status = r.status;
      throw err;
    }
    return body;
  }

  async open(cameraId) {
    this.cameraId = cameraId;
    this.root.hidden = false;
    this.showError("");
    this.setStatus("", "");
    const cam = await this.api(`/api/fleet/cameras/${encodeURIComponent(cameraId)}/zones`);
    this.cam = cam;
    this.zones = cam.zones.map(({ grid_code, grid_name, ...z }) => z);
    this.sel = 0;
    this.selV = null;
    el("ze-camera").textContent = `${cam.name} (${cam.camera_id})`;
    el("ze-box").textContent = `box ${cam.box_id}` + (cam.applied ? ` · last pushed ${cam.applied.config_id}` : "");
    const [w, h] = cam.resolution_wh;
    this.W = STAGE_W;
    this.H = Math.round((STAGE_W * h) / w);
    const stage = el("ze-stage");
    stage.style.width = `${this.W}px`;
    stage.style.height = `${this.H}px`;
    el("ze-draw").setAttribute("viewBox", `0 0 ${this.W} ${this.H}`);
    el("ze-draw").setAttribute("width", this.W);
    el("ze-draw").setAttribute("height", this.H);
    el("ze-cats").innerHTML = cam.categories
      .map((c) => `<label><input type="checkbox" value="${c.code}"> ${c.code} ${c.name_zh}</label>`)
      .join("");
    this.setupMap(cam.map);
    await this.loadPicture();
    this.render();
    this.scheduleCheck(0);
  }

  async loadPicture() {
    const img = el("ze-snap");
    const none = this.root.querySelector(".ze-none");
    try {
      const r = await fetch(`/api/fleet/cameras/${encodeURIComponent(this.cameraId)}/snapshot.jpg`, { headers: this.auth });
      if (!r.ok) throw new Error(String(r.status));
      if (img.dataset.url) URL.revokeObjectURL(img.dataset.url);
      img.dataset.url = URL.createObjectURL(await r.blob());
      img.dataset.source = r.headers.get("X-Picture-Source") || "";
      img.src = img.dataset.url;
      img.hidden = false;
      none.hidden = true;
    } catch {
      img.hidden = true;
      none.hidden = false;
    }
  }

  // --- the picture ---------------------------------------------------------------------
  norm(evt) {
    const r = el("ze-draw").getBoundingClientRect();
    return [round((evt.clientX - r.left) / r.width), round((evt.clientY - r.top) / r.height)];
  }

  render() {
    const draw = el("ze-draw");
    draw.replaceChildren();
    this.zones.forEach((z, i) => {
      const pts = z.polygon_norm.map(([x, y]) => `${x * this.W},${y * this.H}`).join(" ");
      const bad = (this.checks[i]?.problems || []).length > 0;
      const poly = svgEl("polygon", { points: pts, "data-zone": i, class: `${i === this.sel ? "sel" : ""} ${bad ? "bad" : ""}` });
      draw.append(poly);
      if (z.polygon_norm.length) {
        const [x, y] = z.polygon_norm[0];
        const t = svgEl("text", { x: x * this.W + 6, y: y * this.H - 6, "data-zone": i });
        t.textContent = z.zone_id;
        draw.append(t);
      }
    });
    const z = this.zones[this.sel];
    if (z) {
      z.polygon_norm.forEach(([x, y], j) => {
        draw.append(svgEl("circle", { cx: x * this.W, cy: y * this.H, r: 6, "data-v": j, class: `vertex ${j === this.selV ? "sel" : ""}` }));
      });
    }
    el("ze-zones").innerHTML = this.zones
      .map((zz, i) => {
        const c = this.checks[i];
        const grid = c && c.grid_code ? ` → ${c.grid_code} ${c.grid_name || ""}` : "";
        return `<li data-zone="${i}" class="${i === this.sel ? "sel" : ""}">${zz.zone_id}${grid}</li>`;
      })
      .join("");
    this.fillForm();
    this.renderMap();
  }

  fillForm() {
    const z = this.zones[this.sel];
    const inputs = ["ze-id", "ze-name", "ze-lon", "ze-lat"].map(el);
    for (const i of inputs) i.disabled = !z;
    if (!z) return;
    el("ze-id").value = z.zone_id;
    el("ze-name").value = z.name;
    for (const [key] of RULES) el(`ze-rule-${key}`).value = z.rules?.[key] ?? "";
    el("ze-lon").value = z.target.lon;
    el("ze-lat").value = z.target.lat;
    for (const box of el("ze-cats").querySelectorAll("input")) box.checked = z.categories.includes(box.value);
    const c = this.checks[this.sel];
    el("ze-grid").textContent = c ? (c.grid_code ? `grid ${c.grid_code} ${c.grid_name || ""}` : "target in no grid") : "";
    el("ze-grid").dataset.grid = c?.grid_code || "";
  }

  // --- the map -------------------------------------------------------------------------
  setupMap(map) {
    const [w, s, e, n] = map.bounds;
    const cos = Math.cos((((s + n) / 2) * Math.PI) / 180);
    this.mapB = map.bounds;
    this.MW = MAP_W;
    this.MH = Math.round((MAP_W * (n - s)) / ((e - w) * cos));
    const svg = el("ze-map");
    svg.setAttribute("viewBox", `0 0 ${this.MW} ${this.MH}`);
    svg.setAttribute("width", this.MW);
    svg.setAttribute("height", this.MH);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.dataset.bounds = map.bounds.join(" ");
    this.mapGrids = map.grids;
  }

  project(lon, lat) {
    const [w, s, e, n] = this.mapB;
    return [((lon - w) / (e - w)) * this.MW, ((n - lat) / (n - s)) * this.MH];
  }

  unproject(evt) {
    const [w, s, e, n] = this.mapB;
    const r = el("ze-map").getBoundingClientRect();
    const fx = (evt.clientX - r.left) / r.width;
    const fy = (evt.clientY - r.top) / r.height;
    return { lon: round(w + fx * (e - w), 6), lat: round(n - fy * (n - s), 6) };
  }

  renderMap() {
    const svg = el("ze-map");
    svg.replaceChildren();
    const hits = new Set(this.checks.map((c) => c.grid_code).filter(Boolean));
    for (const g of this.mapGrids || []) {
      const pts = g.ring.map(([lon, lat]) => this.project(lon, lat).join(",")).join(" ");
      const p = svgEl("polygon", { points: pts, "data-code": g.code, class: hits.has(g.code) ? "hit" : "" });
      const title = svgEl("title", {});
      title.textContent = `${g.code} ${g.name_zh}`;
      p.append(title);
      svg.append(p);
    }
    const [mx, my] = this.project(this.cam.mount.lon, this.cam.mount.lat);
    svg.append(svgEl("rect", { x: mx - 4, y: my - 4, width: 8, height: 8, class: "mount" }));
    this.zones.forEach((z, i) => {
      const [x, y] = this.project(z.target.lon, z.target.lat);
      svg.append(svgEl("circle", { cx: x, cy: y, r: 5, class: `target ${i === this.sel ? "sel" : ""}`, "data-zone": i }));
      const t = svgEl("text", { x: x + 7, y: y + 4 });
      t.textContent = z.zone_id;
      svg.append(t);
    });
  }

  // --- events --------------------------------------------------------------------------
  bind() {
    const draw = el("ze-draw");
    draw.addEventListener("mousedown", (evt) => {
      const v = evt.target.closest("circle.vertex");
      if (!v) return;
      evt.preventDefault();
      this.selV = Number(v.dataset.v);
      this.drag = { moved: false };
    });
    window.addEventListener("mousemove", (evt) => {
      if (!this.drag) return;
      this.drag.moved = true;
      this.zones[this.sel].polygon_norm[this.selV] = this.norm(evt);  // may leave the frame: the hub says so
      this.render();
    });
    window.addEventListener("mouseup", () => {
      if (!this.drag) return;
      this.justDragged = true;
      this.drag = null;
      this.render();
      this.scheduleCheck();
    });
    draw.addEventListener("click", (evt) => {
      if (this.justDragged) { this.justDragged = false; return; }
      if (evt.target.closest("circle.vertex")) { this.render(); return; }
      const label = evt.target.closest("text[data-zone]");
      if (label && Number(label.dataset.zone) !== this.sel) { this.select(Number(label.dataset.zone)); return; }
      const z = this.zones[this.sel];
      if (!z) return;
      const at = this.selV === null ? z.polygon_norm.length : this.selV + 1;
      z.polygon_norm.splice(at, 0, this.norm(evt));
      this.selV = at;
      this.render();
      this.scheduleCheck();
    });
    draw.addEventListener("dblclick", (evt) => {
      const v = evt.target.closest("circle.vertex");
      if (v) this.removeVertex(Number(v.dataset.v));
    });
    document.addEventListener("keydown", (evt) => {
      if (this.root.hidden || evt.target.matches("input")) return;
      if ((evt.key === "Delete" || evt.key === "Backspace") && this.selV !== null) this.removeVertex(this.selV);
    });
    el("ze-zones").addEventListener("click", (evt) => {
      const li = evt.target.closest("li");
      if (li) this.select(Number(li.dataset.zone));
    });
    el("ze-map").addEventListener("click", (evt) => {
      const z = this.zones[this.sel];
      if (!z) return;
      z.target = this.unproject(evt);
      this.render();
      this.scheduleCheck();
    });
    el("ze-new").addEventListener("click", () => this.addZone());
    el("ze-delete").addEventListener("click", () => {
      this.zones.splice(this.sel, 1);
      this.sel = Math.max(0, this.sel - 1);
      this.selV = null;
      this.render();
      this.scheduleCheck();
    });
    const edit = (fn) => () => { const z = this.zones[this.sel]; if (z) { fn(z); this.render(); this.scheduleCheck(); } };
    el("ze-id").addEventListener("change", edit((z) => { z.zone_id = el("ze-id").value.trim(); }));
    el("ze-name").addEventListener("change", edit((z) => { z.name = el("ze-name").value.trim(); }));
    el("ze-rules").innerHTML = RULES.map(([key, label, step, dflt]) =>
      `<label>${label} <input id="ze-rule-${key}" data-rule="${key}" type="number" min="0" step="${step}" placeholder="${dflt}"></label>`).join("");
    el("ze-rules").addEventListener("change", edit((z) => {
      z.rules = { ...(z.rules || {}) };
      for (const [key] of RULES) {
        const v = el(`ze-rule-${key}`).value;
        if (v === "") delete z.rules[key]; else z.rules[key] = Number(v);
      }
    }));
    for (const id of ["ze-lon", "ze-lat"]) {
      el(id).addEventListener("change", edit((z) => { z.target = { lon: Number(el("ze-lon").value), lat: Number(el("ze-lat").value) }; }));
    }
    el("ze-cats").addEventListener("change", edit((z) => {
      z.categories = [...el("ze-cats").querySelectorAll("input:checked")].map((b) => b.value);
    }));
    el("ze-push").addEventListener("click", () => this.push());
    el("ze-close").addEventListener("click", () => { this.root.hidden = true; clearTimeout(this.pollTimer); });
  }

  select(i) {
    this.sel = i;
    this.selV = null;
    this.render();
  }

  removeVertex(j) {
    const z = this.zones[this.sel];
    if (!z) return;
    z.polygon_norm.splice(j, 1);
    this.selV = z.polygon_norm.length ? Math.min(j, z.polygon_norm.length - 1) : null;
    this.render();
    this.scheduleCheck();
  }

  addZone() {
    const ids = new Set(this.zones.map((z) => z.zone_id));
    let n = this.zones.length + 1;
    while (ids.has(`zone-${n}`)) n += 1;
    const last = this.zones[this.zones.length - 1];
    // a new zone starts from the last one's categories, rules and target (then drawn anew)
    const cats = last ? [...last.categories] : [];
    const target = last ? { ...last.target } : { ...this.cam.mount };
    const zone = { zone_id: `zone-${n}`, name: `zone ${n}`, polygon_norm: [], categories: cats, target };
    if (last && last.rules) zone.rules = JSON.parse(JSON.stringify(last.rules));
    this.zones.push(zone);
    this.select(this.zones.length - 1);
  }

  // --- the hub -------------------------------------------------------------------------
  scheduleCheck(delay = 200) {
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => this.check(), delay);
  }

  async check() {
    try {
      const got = await this.api(`/api/fleet/cameras/${encodeURIComponent(this.cameraId)}/zones/check`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ zones: this.zones }),
      });
      this.checks = got.zones;
      el("ze-problems").innerHTML = got.zones
        .flatMap((c) => c.problems.map((p) => `<li data-zone="${c.zone_id}">zone ${c.zone_id}: ${p}</li>`))
        .join("");
      el("ze-problems").dataset.ok = got.ok ? "yes" : "no";
      this.render();
    } catch (err) {
      this.showError(`check failed: ${err.message}`);
    }
  }

  async push() {
    this.showError("");
    clearTimeout(this.pollTimer);
    this.setStatus("sending", "sending…");
    let rollout;
    try {
      rollout = await this.api(`/api/fleet/cameras/${encodeURIComponent(this.cameraId)}/zones`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ zones: this.zones }),
      });
    } catch (err) {
      this.showError(`refused · 未下发: ${err.message}`);
      this.setStatus("refused", "not sent: the box keeps its zones");
      this.scheduleCheck(0);
      return;
    }
    this.setStatus("pending", `sent ${rollout.config_id} to ${this.cam.box_id}: waiting for the box…`);
    this.follow(rollout.config_id, Date.now());
  }

  async follow(configId, since) {
    let entry;
    try {
      const got = await this.api(`/api/fleet/rollouts/${encodeURIComponent(configId)}`);
      entry = got.status[this.cam.box_id];
    } catch (err) {
      this.showError(`rollout ${configId}: ${err.message}`);
      return;
    }
    if (!entry || entry.status === "pending") {
      this.pollTimer = setTimeout(() => this.follow(configId, since), Date.now() - since < 10000 ? 300 : 2000);
      return;
    }
    const words = {
      applied: `applied by ${this.cam.box_id} (${configId}): alerts of these zones now go to the grids shown`,
      rejected: `refused by ${this.cam.box_id}: ${entry.reason}; the box keeps its old zones`,
      rolled_back: `rolled back by ${this.cam.box_id}: ${entry.reason}`,
      timed_out: `${this.cam.box_id} did not answer in time`,
    };
    this.setStatus(entry.status, words[entry.status] || entry.status);
    if (entry.status === "applied") el("ze-box").textContent = `box ${this.cam.box_id} · last pushed ${configId}`;
  }

  setStatus(state, text) {
    el("ze-status").dataset.state = state;
    el("ze-status").textContent = text;
  }

  showError(text) {
    el("ze-error").hidden = !text;
    el("ze-error").textContent = text;
  }
}

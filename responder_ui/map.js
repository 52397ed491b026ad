// A small map without tiles: the district's grid cells from the hub's GeoJSON as SVG paths,
// my cases' cells highlighted and their places as dots.
const NS = "http://www.w3.org/2000/svg";

function bounds(features) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of features) for (const ring of f.geometry.coordinates) for (const [x, y] of ring) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}

export function drawMap(svg, geojson, cases) {
  const features = geojson.features || [];
  if (!features.length) return;
  const [x0, y0, x1, y1] = bounds(features);
  const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);        // keep metres square-ish
  const w = (x1 - x0) * k, h = y1 - y0;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  const project = ([x, y]) => [(x - x0) * k, y1 - y];
  const mine = new Set(cases.map((c) => c.grid_code));
  svg.replaceChildren();
  for (const f of features) {
    const d = f.geometry.coordinates
      .map((ring) => "M" + ring.map((p) => project(p).join(",")).join("L") + "Z").join("");
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    path.dataset.code = f.properties.code;
    if (mine.has(f.properties.code)) path.classList.add("mine");
    const title = document.createElementNS(NS, "title");
    title.textContent = f.properties.name_zh;
    path.append(title);
    svg.append(path);
  }
  for (const c of cases) {
    if (c.lon == null || c.lat == null) continue;
    const [cx, cy] = project([c.lon, c.lat]);
    const dot = document.createElementNS(NS, "circle");
    dot.setAttribute("cx", cx); dot.setAttribute("cy", cy);
    dot.setAttribute("r", Math.max(w, h) / 80);
    dot.dataset.case = c.case_no;
    svg.append(dot);
  }
}

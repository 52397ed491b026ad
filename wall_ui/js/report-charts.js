// Small inline-SVG bar charts for the assessment page, drawn here (no chart library, nothing
// fetched): grouped bars (one group per unit, one bar per figure) and 100% stacked bars (the
// 721 split). Every bar carries data-key (the unit) and data-figure (the report's field, or
// tier:NAME), so a click on it can list the cases behind it.

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const H = 210; // the drawing's height
const TOP = 22; // the plot's top (room for the legend)
const BASE = 150; // the plot's baseline
const LEFT = 42; // room for the value axis

function frame(width, ticks, format) {
  const lines = ticks
    .map((v) => {
      const y = BASE - (BASE - TOP) * v.at;
      return `<line class="grid" x1="${LEFT}" x2="${width}" y1="${y}" y2="${y}"/><text class="tick" x="${LEFT - 4}" y="${y + 4}" text-anchor="end">${esc(format(v.value))}</text>`;
    })
    .join("");
  return `${lines}<line class="axis" x1="${LEFT}" x2="${width}" y1="${BASE}" y2="${BASE}"/>`;
}

function unitLabel(x, label, many) {
  const text = esc(label.length > 6 ? `${label.slice(0, 6)}…` : label);
  return many
    ? `<text class="unit" transform="translate(${x},${BASE + 10}) rotate(35)">${text}</text>`
    : `<text class="unit" x="${x}" y="${BASE + 16}" text-anchor="middle">${text}</text>`;
}

function legend(items, width) {
  let x = Math.max(LEFT, width - items.length * 110);
  return items
    .map((s, i) => {
      const out = `<rect class="key s${i}" x="${x}" y="4" width="10" height="10"/><text class="legend" x="${x + 14}" y="13">${esc(s.label)}</text>`;
      x += 110;
      return out;
    })
    .join("");
}

/** Grouped bars. units: [{key, label}]; series: [{figure, label, values: [number|null]}]
 * (null: the unit has no such figure, no bar); max: the value axis' top; format: tick and
 * tooltip text of a value. */
export function groupedBars({ title, units, series, max, format }) {
  const bar = 14;
  const group = Math.max(40, series.length * (bar + 2) + 14);
  const width = LEFT + units.length * group + 10;
  const many = units.length > 8;
  let body = "";
  units.forEach((u, i) => {
    const x0 = LEFT + i * group + (group - series.length * (bar + 2)) / 2;
    series.forEach((s, j) => {
      const v = s.values[i];
      if (v == null) return;
      const h = ((BASE - TOP) * Math.min(v, max)) / max;
      body += `<rect class="bar s${j}" data-key="${esc(u.key)}" data-figure="${esc(s.figure)}" x="${x0 + j * (bar + 2)}" y="${BASE - h}" width="${bar}" height="${Math.max(h, 1)}"><title>${esc(u.label)} · ${esc(s.label)}: ${esc(format(v))}</title></rect>`;
    });
    body += unitLabel(LEFT + i * group + group / 2, u.label, many);
  });
  const ticks = [0, 0.5, 1].map((at) => ({ at, value: max * at }));
  return svg(title, width, frame(width, ticks, format) + body + legend(series, width));
}

/** 100% stacked bars. units: [{key, label}]; tiers: [{figure, label}]; segments[i][j]:
 * {count, share, offset} of unit i, tier j (shares of the unit's closed cases). */
export function stackedBars({ title, units, tiers, segments }) {
  const group = 40;
  const width = LEFT + units.length * group + 10;
  const many = units.length > 8;
  const pct = (v) => `${Math.round(v * 100)}%`;
  let body = "";
  units.forEach((u, i) => {
    const x = LEFT + i * group + 10;
    segments[i].forEach((seg, j) => {
      if (!seg.count) return;
      const y = BASE - (BASE - TOP) * (seg.offset + seg.share);
      body += `<rect class="seg s${j}" data-key="${esc(u.key)}" data-figure="${esc(tiers[j].figure)}" x="${x}" y="${y}" width="${group - 20}" height="${(BASE - TOP) * seg.share}"><title>${esc(u.label)} · ${esc(tiers[j].label)}: ${seg.count} (${pct(seg.share)})</title></rect>`;
    });
    body += unitLabel(x + (group - 20) / 2, u.label, many);
  });
  const ticks = [0, 0.5, 1].map((at) => ({ at, value: at }));
  return svg(title, width, frame(width, ticks, pct) + body + legend(tiers, width));
}

function svg(title, width, inner) {
  const w = Math.max(width, 360);
  return `<figure class="chart"><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${w} ${H}" width="${w}" height="${H}" role="img" aria-label="${esc(title)}">${inner}</svg></figure>`;
}

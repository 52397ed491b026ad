// The console's assessment page (考核): pick a period and a level, see the figures of each
// unit (GET /api/reports) as charts (closure and on-time rate, the 721 split, satisfaction)
// and a sortable ranking table; a click on a bar or a figure lists the cases behind it
// (GET /api/reports/cases); XLSX and PDF of the same report (GET /api/reports/export).
// The ranking is hub/reports/shaping.py's: best first by one figure, a unit without it last,
// ties by closure rate, on-time rate, satisfaction, more cases, then the unit's code.
import { authHeaders, get, paths } from "./api.js";
import { lang, t } from "./i18n.js";
import { groupedBars, stackedBars } from "./report-charts.js";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const CHART_MAX = 20; // units a chart shows (the first of the ranking); the table all

// the ranking table's figures: [field, kind]
const COLUMNS = [
  ["cases", "count"],
  ["closed", "count"],
  ["closure_rate", "rate"],
  ["on_time_rate", "rate"],
  ["median_accept_min", "minutes"],
  ["median_resolve_min", "minutes"],
  ["rework_rate", "rate"],
  ["satisfaction", "score"],
  ["rated", "count"],
  ["supervision_orders", "count"],
];
const LOWER_IS_BETTER = new Set(["median_accept_min", "median_resolve_min", "rework_rate"]);
const TIE_BREAK = ["closure_rate", "on_time_rate", "satisfaction", "cases"];

/** Rows in ranking order by ``by`` (best first; ``reverse`` turns the ranked units round,
 * a unit without the figure staying last). */
export function rank(rows, by = "closure_rate", reverse = false) {
  const order = [by, ...TIE_BREAK.filter((f) => f !== by)];
  const cmp = (a, b) => {
    for (const f of order) {
      const x = a[f];
      const y = b[f];
      if ((x == null) !== (y == null)) return x == null ? 1 : -1;
      if (x == null || x === y) continue;
      const better = LOWER_IS_BETTER.has(f) ? x - y : y - x;
      return f === by && reverse ? -better : better;
    }
    return String(a.key) < String(b.key) ? -1 : String(a.key) > String(b.key) ? 1 : 0;
  };
  return [...rows].sort(cmp);
}

export function shown(v, kind) {
  if (v == null) return "–";
  if (kind === "rate") return `${(v * 100).toFixed(1)}%`;
  if (kind === "minutes" || kind === "score") return v.toFixed(1);
  return String(v);
}

const state = { report: null, names: {}, by: "closure_rate", reverse: false };
const label = (key) => state.names[key] || key;
const tiersOf = (rows) => Object.keys(rows[0]?.tier_split || {});
const query = () => {
  const f = $("#assess-form");
  const q = new URLSearchParams({ period: f.period.value, level: f.level.value });
  if (f.day.value) q.set("day", f.day.value);
  return q;
};

async function load() {
  const note = $("#assess-note");
  note.textContent = "";
  try {
    const q = query();
    const rep = await get(paths.reports(q));
    const keys = rep.rows.map((r) => r.key);
    // a few units: their names; many (a county's grids): every name of the level at once
    const some = keys.length <= 200 ? keys : null;
    state.names = keys.length ? await get(paths.reportNames(q.get("level"), some)) : {};
    state.report = rep;
  } catch (e) {
    state.report = null;
    note.textContent = t("assess.error", { detail: e.detail || e.message });
  }
  render();
}

function render() {
  const rep = state.report;
  const box = $("#assess-box");
  $("#assess-cases").replaceChildren();
  if (!rep) return;
  $("#assess-range").textContent = `${rep.start.slice(0, 10)} – ${lastDay(rep.end)}`;
  box.dataset.units = String(rep.rows.length);
  if (!rep.rows.length) {
    $("#assess-charts").innerHTML = "";
    $("#assess-table").innerHTML = `<tr><td class="dim">${t("assess.none")}</td></tr>`;
    return;
  }
  renderCharts(rank(rep.rows).slice(0, CHART_MAX));
  renderTable(rank(rep.rows, state.by, state.reverse));
}

function lastDay(end) {
  const d = new Date(`${end.slice(0, 10)}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function renderCharts(rows) {
  const units = rows.map((r) => ({ key: r.key, label: label(r.key) }));
  const pct = (v) => `${Math.round(v * 100)}%`;
  const tiers = tiersOf(rows);
  const rates = groupedBars({
    title: t("assess.ratesChart"),
    units,
    series: ["closure_rate", "on_time_rate"].map((f) => ({ figure: f, label: t(`assess.${f}`), values: rows.map((r) => r[f]) })),
    max: 1,
    format: pct,
  });
  const split = stackedBars({
    title: t("assess.splitChart"),
    units,
    tiers: tiers.map((x) => ({ figure: `tier:${x}`, label: t(`assess.tier.${x}`) })),
    segments: rows.map((r) => segments(r, tiers)),
  });
  const sat = groupedBars({
    title: t("assess.satisfactionChart"),
    units,
    series: [{ figure: "satisfaction", label: t("assess.satisfaction"), values: rows.map((r) => r.satisfaction) }],
    max: 5,
    format: (v) => v.toFixed(1),
  });
  $("#assess-charts").innerHTML = `<div class="chart-rates">${rates}</div><div class="chart-split">${split}</div><div class="chart-satisfaction">${sat}</div>`;
}

// the 721 split of one unit as stacked segments (hub/reports/shaping.py: stacked)
export function segments(row, tiers) {
  const split = row.tier_split || {};
  const total = tiers.reduce((n, x) => n + (split[x] || 0), 0);
  let offset = 0;
  return tiers.map((x) => {
    const count = split[x] || 0;
    const share = total ? count / total : 0;
    const seg = { count, share, offset };
    offset += share;
    return seg;
  });
}

function renderTable(rows) {
  const tiers = tiersOf(rows);
  const arrow = (f) => (f === state.by ? (state.reverse ? " ▲" : " ▼") : "");
  const head = `<tr><th>${t("assess.rank")}</th><th>${t("assess.unit")}</th>${COLUMNS.map(([f]) => `<th class="sort" data-sort="${f}">${t(`assess.${f}`)}${arrow(f)}</th>`).join("")}${tiers.map((x) => `<th>${t(`assess.tier.${x}`)}</th>`).join("")}</tr>`;
  const body = rows
    .map((r, i) => {
      const cell = (f, v, kind) => `<td class="fig" data-key="${esc(r.key)}" data-figure="${f}">${shown(v, kind)}</td>`;
      return `<tr data-key="${esc(r.key)}"><td>${i + 1}</td><td>${esc(label(r.key))}<span class="dim"> ${esc(r.key)}</span></td>${COLUMNS.map(([f, kind]) => cell(f, r[f], kind)).join("")}${tiers.map((x) => cell(`tier:${x}`, r.tier_split[x], "count")).join("")}</tr>`;
    })
    .join("");
  $("#assess-table").innerHTML = `<thead>${head}</thead><tbody>${body}</tbody>`;
}

async function showCases(key, figure) {
  const q = query();
  q.set("key", key);
  q.set("figure", figure);
  const box = $("#assess-cases");
  try {
    const got = await get(paths.reportCases(q));
    const name = figure.startsWith("tier:") ? t(`assess.tier.${figure.slice(5)}`) : t(`assess.${figure}`);
    const items = got.cases
      .map((c) => `<li data-case-no="${esc(c.case_no)}"><a href="#" class="case-link">${esc(c.case_no)}</a> <span class="dim">${esc(c.category)} · ${esc(t(`status.${c.state}`))}${c.satisfaction != null ? ` · ★${c.satisfaction}` : ""}</span></li>`)
      .join("");
    const cut = got.cases.length < got.total ? `<p class="dim">${t("assess.casesFirst", { n: got.cases.length })}</p>` : "";
    box.innerHTML = `<h3>${esc(label(key))} · ${esc(name)}: ${t("assess.casesBehind", { n: got.total })}</h3>${cut}<ol class="behind" data-key="${esc(key)}" data-figure="${esc(figure)}" data-total="${got.total}">${items}</ol>`;
  } catch (e) {
    box.innerHTML = `<p class="note">${esc(t("assess.error", { detail: e.detail || e.message }))}</p>`;
  }
}

// the report as a file: fetched with the token (a plain link cannot carry it), then saved
async function download(format) {
  const q = query();
  q.set("format", format);
  q.set("lang", lang === "en" ? "en" : "zh-CN");
  const res = await fetch(paths.reportExport(q), { headers: authHeaders() });
  if (!res.ok) {
    $("#assess-note").textContent = t("assess.error", { detail: `${res.status} ${(await res.text()).slice(0, 200)}` });
    return;
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "")?.[1] || `report.${format}`;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function startAssessment(openCase) {
  const form = $("#assess-form");
  if (!form) return;
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000);
  form.day.value = local.toISOString().slice(0, 10);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  $("#assess-xlsx").addEventListener("click", () => download("xlsx"));
  $("#assess-pdf").addEventListener("click", () => download("pdf"));
  $("#assess-box").addEventListener("click", (ev) => {
    const sort = ev.target.closest("th.sort");
    if (sort) {
      state.reverse = sort.dataset.sort === state.by ? !state.reverse : false;
      state.by = sort.dataset.sort;
      render();
      return;
    }
    const fig = ev.target.closest("[data-figure][data-key]");
    if (fig && !fig.closest(".behind")) {
      showCases(fig.dataset.key, fig.dataset.figure);
      return;
    }
    const link = ev.target.closest("a.case-link");
    if (link) {
      ev.preventDefault();
      openCase(link.closest("li").dataset.caseNo);
    }
  });
  load();
}

// re-draw in the language just switched to
export const redrawAssessment = () => render();

// Today's figures (cases, closed, on-time rate, 721 split, median accept / resolve
// minutes, per street): pushed by the wall's live stream (`kpis`) whenever a case event
// moved them, fetched from the hub's KPI endpoint at start and every 30 s as a fallback,
// plus a ticker of new cases from the live stream.
import { get, paths } from "./api.js";
import { catName, t } from "./i18n.js";

const REFRESH_MS = 30000;

export class KpiPanel {
  constructor(el) {
    this.el = el;
    el.innerHTML = `<div class="figures"></div><table class="streets"></table><div class="ticker"></div>`;
    this.tickerEl = el.querySelector(".ticker");
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
    this.alarms = {};
  }

  async refresh() {
    let k = null;
    try {
      k = await get(paths.kpis());
    } catch (_e) {
      k = null; // the hub's KPI service is not reachable: show dashes, never made-up figures
    }
    this.draw(k);
  }

  /** Figures pushed by the live stream; they stand until the next push or refresh. */
  live(body) {
    this.el.dataset.kpiCases = String(body?.total?.cases ?? "");
    this.draw(body);
  }

  draw(body) {
    this.last = body;
    // the hub's /api/kpis: {day, total: {cases, closed, on_time_rate, tier_share,
    // median_accept_s, median_resolve_s, ...}, by: {street code: {...}}}
    const k = body?.total;
    const pct = (v) => (v == null ? "—" : `${Math.round(v * 1000) / 10}%`);
    const num = (v) => (v == null ? "—" : String(Math.round(v * 10) / 10));
    const min = (s) => (s == null ? "—" : String(Math.round(s / 6) / 10));
    const share = k?.tier_share && Object.keys(k.tier_share).length ? k.tier_share : null;
    const fig = [
      ["kpi.cases", num(k?.cases)],
      ["kpi.closed", num(k?.closed)],
      ["kpi.onTime", pct(k?.on_time_rate)],
      ["kpi.split", share ? Object.values(share).map((v) => Math.round(v * 100)).join("/") : "—"],
      ["kpi.accept", min(k?.median_accept_s)],
      ["kpi.resolve", min(k?.median_resolve_s)],
      ["kpi.openAlarms", String(Object.keys(this.alarms || {}).length)],
    ];
    this.el.querySelector(".figures").innerHTML = fig
      .map(([key, v]) => `<div class="fig"><b>${v}</b><span>${t(key)}</span></div>`)
      .join("");
    const streets = body?.by ? Object.entries(body.by) : [];
    this.el.querySelector(".streets").innerHTML = streets
      .map(([s, v]) => `<tr><td>${this.streetName(s)}</td><td>${num(v.cases)}</td><td>${num(v.closed)}</td><td>${pct(v.on_time_rate)}</td></tr>`)
      .join("");
  }

  streetName(code) {
    return this.district?.streets?.[code]?.name_zh || code;
  }

  update(payload, district) {
    this.district = district;
    const changed = Object.keys(payload.alarms).length !== Object.keys(this.alarms).length;
    this.alarms = payload.alarms;
    // the open-alarm figure is the wall's own; the hub's figures come pushed (live)
    if (changed) this.draw(this.last);
  }

  /** A line for a new case, or for a fleet alarm raised or cleared. */
  ticker(c) {
    const line = document.createElement("div");
    const time = new Date().toLocaleTimeString("zh-CN", { hour12: false });
    if (c.action) {
      line.className = `tick fleet ${c.action}`;
      const who = c.camera_id ? c.camera_name || c.camera_id : c.box_id;
      line.textContent = `${time}  ${t(`fleet.${c.action}`)}  ${who}  ${c.reason || ""}`;
    } else {
      line.className = "tick";
      line.textContent = `${time}  ${c.case_no}  ${c.grid_name || ""}  ${catName(c)}`;
    }
    line.dataset.ref = c.case_no || c.key || "";
    this.tickerEl.prepend(line);
    while (this.tickerEl.children.length > 8) this.tickerEl.lastChild.remove();
  }
}

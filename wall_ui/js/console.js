// The operator console (/console/): verification queue (confirm with edits, reject with a
// reason), case list with filters, case detail with timeline, snapshot, clip and actions,
// and the wall: send a camera or a case to a tile, layouts, scenes and tours.
import { ApiError, del, get, paths, post, put } from "./api.js";
import { catName, lang, loadLang, setLang, t } from "./i18n.js";
import { subscribe } from "./live.js";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
let district = null;
let wall = null; // the last payload of the selected wall
let stop = null;

function thumb(a) {
  const boxes = (a.boxes || [])
    .map(({ xyxy_norm: [x0, y0, x1, y1] }) => `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}"/>`)
    .join("");
  const img = a.snapshot_id ? `<img src="${paths.snapshot(a.snapshot_id)}" alt="">` : "";
  return `<div class="thumb">${img}<svg viewBox="0 0 1 1" preserveAspectRatio="none">${boxes}</svg></div>`;
}

function categoryOptions(selected) {
  return Object.values(district.categories)
    .map((c) => `<option value="${c.code}" ${c.code === selected ? "selected" : ""}>${c.code} ${esc(lang === "en" ? c.name_en : c.name_zh)}</option>`)
    .join("");
}

async function refreshQueue() {
  const alarms = await get(paths.alarms());
  const ol = $("#queue");
  ol.replaceChildren();
  if (!alarms.length) ol.innerHTML = `<li class="dim">${t("console.empty")}</li>`;
  for (const a of alarms) {
    const li = document.createElement("li");
    li.className = `item ${a.urgency}`;
    li.dataset.alarmId = a.alarm_id;
    li.dataset.status = a.status;
    const filed = a.status !== "verifying";
    li.innerHTML = `${thumb(a)}<div class="meta">
      <div class="row"><b>${esc(catName(a))}</b><span class="dim">${esc(a.camera_name)} · ${esc(a.grid_name || a.grid_code)}</span></div>
      <div class="row dim">${t(`status.${a.status}`)} ${a.case_no ? `· ${t("case.no")} <span class="caseno">${a.case_no}</span>` : ""} · ${Math.round(a.confidence * 100)}%</div>
      ${filed ? `<div class="row"><button class="ack">${t("console.ack")}</button></div>` : `
      <div class="row"><select name="category" aria-label="${t("console.category")}">${categoryOptions(a.category)}</select>
        <select name="urgency" aria-label="${t("console.urgency")}">
          <option value="routine" ${a.urgency === "routine" ? "selected" : ""}>${t("console.urgency.routine")}</option>
          <option value="urgent" ${a.urgency === "urgent" ? "selected" : ""}>${t("console.urgency.urgent")}</option></select>
        <button class="confirm">${t("console.confirm")}</button></div>
      <div class="row"><input name="reason" placeholder="${t("console.reason")}"><button class="reject">${t("console.reject")}</button></div>`}
    </div>`;
    li.querySelector(".confirm")?.addEventListener("click", () =>
      act(li, () => post(paths.confirm(a.alarm_id), {
        category: li.querySelector("[name=category]").value,
        urgency: li.querySelector("[name=urgency]").value,
      })));
    li.querySelector(".reject")?.addEventListener("click", () => {
      const reason = li.querySelector("[name=reason]").value.trim();
      if (!reason) return note(li, t("console.reasonNeeded"));
      act(li, () => post(paths.reject(a.alarm_id), { reason }));
    });
    li.querySelector(".ack")?.addEventListener("click", () => act(li, () => post(paths.ack(a.alarm_id))));
    ol.append(li);
  }
}

function note(li, text) {
  let p = li.querySelector(".note");
  if (!p) li.querySelector(".meta").append((p = Object.assign(document.createElement("p"), { className: "note" })));
  p.textContent = text;
}

async function act(li, job) {
  try {
    await job();
    await Promise.all([refreshQueue(), refreshCases()]);
  } catch (e) {
    note(li, e instanceof ApiError ? e.detail : String(e));
  }
}

async function refreshCases() {
  const q = new URLSearchParams([...new FormData($("#case-filter"))].filter(([, v]) => v)).toString();
  let cases;
  $("#cases-note").textContent = "";
  try {
    cases = await get(paths.cases(q));
  } catch (e) {
    // the hub's case service is not there: show the cases this console filed from alarms
    $("#cases-note").textContent = t("console.unavailable", { detail: e.detail || e });
    const f = Object.fromEntries(new FormData($("#case-filter")));
    cases = (await get(paths.alarms()))
      .filter((a) => a.case_no)
      .filter((a) => (!f.state || a.status === f.state) && (!f.category || a.category === f.category) &&
        (!f.grid || (a.grid_code || "").startsWith(f.grid)))
      .map((a) => ({ ...a, state: a.status }));
  }
  const ol = $("#cases");
  ol.replaceChildren();
  for (const c of cases) {
    const li = document.createElement("li");
    li.className = "case";
    li.dataset.caseNo = c.case_no || c.number;
    li.innerHTML = `<b>${esc(li.dataset.caseNo)}</b> <span>${esc(catName(c))}</span> <span class="dim">${esc(c.grid_name || c.grid_code)} · ${esc(c.state)}</span>`;
    li.addEventListener("click", () => showCase(c));
    ol.append(li);
  }
}

// console button → the hub's case action (hub/api/cases.py); reassign is a new dispatch,
// 1+1+X joint handling is recorded as a note on the case until the hub has a transition for it
const ACTIONS = {
  dispatch: { action: "dispatch" },
  reassign: { action: "dispatch", reason: "reassign" },
  joint: { action: "note", note: "1+1+X" },
  escalate: { action: "escalate" },
  close: { action: "close" },
};

async function showCase(c) {
  const no = c.case_no || c.number;
  let detail = c;
  let events = [];
  try {
    detail = { ...c, ...(await get(paths.caseDetail(no))) };
    events = await get(paths.caseTimeline(no));
  } catch (_e) {
    /* no case service: what the alarm knows */
  }
  const box = $("#detail");
  box.innerHTML = `<h3>${esc(no)}</h3>${thumb(detail)}
    <p>${esc(catName(detail))} · ${esc(detail.grid_name || detail.grid_code)} · ${esc(detail.state || detail.status)}</p>
    ${detail.camera_id && detail.started_ms ? `<video controls muted src="${paths.clip(detail)}" style="max-width:100%" aria-label="${t("console.clip")}"></video>` : ""}
    <h4>${t("console.timeline")}</h4>
    <ol class="timeline">${events.map((e) => `<li>${new Date(e.at_ms).toLocaleString()} ${esc(e.actor)}: ${esc(e.kind || e.action || "")} ${esc(e.from_state || e.from || "")} → ${esc(e.to_state || e.to || "")} ${esc(e.reason || "")}</li>`).join("") || `<li class="dim">${t("console.empty")}</li>`}</ol>
    <div class="actions">${Object.keys(ACTIONS).map((a) => `<button data-action="${a}">${t(`console.${a}`)}</button>`).join("")}
      <button data-action="to-wall">${t("console.toWall")}</button></div><p class="note"></p>`;
  box.querySelectorAll("[data-action]").forEach((b) =>
    b.addEventListener("click", async () => {
      try {
        if (b.dataset.action === "to-wall") await sendToWall(detail.camera_id);
        else await post(paths.caseAction(no), ACTIONS[b.dataset.action]);
        box.querySelector(".note").textContent = "";
      } catch (e) {
        box.querySelector(".note").textContent = t("console.unavailable", { detail: e.detail || e });
      }
    }));
}

async function sendToWall(camera, monitor, slot) {
  const f = Object.fromEntries(new FormData($("#to-wall")));
  await put(paths.tile(wallName(), monitor ?? f.monitor, slot ?? f.slot), { camera_id: camera });
}

const wallName = () => $("#wall-name").value || "main";

function drawPreview(p) {
  wall = p;
  const layoutSel = $("#layout [name=layout]");
  if (!layoutSel.options.length) {
    layoutSel.innerHTML = Object.keys(p.layouts).map((l) => `<option>${esc(l)}</option>`).join("");
  }
  const prev = $("#wall-preview");
  prev.style.gridTemplateColumns = `repeat(${p.spec.cols}, 1fr)`;
  prev.innerHTML = p.state.monitors.map((m, i) => {
    const lay = p.layouts[m.layout];
    const slots = lay.slots.map((s, j) => {
      const tile = m.tiles[j];
      const label = s.kind !== "video" ? s.kind : tile ? (tile.kind === "alarm" ? "⚠ " : "") + tile.camera_id : "";
      return `<div class="s ${s.kind} ${tile?.kind || ""}" style="grid-area:${s.row + 1}/${s.col + 1}/span ${s.h}/span ${s.w}">${esc(label)}</div>`;
    }).join("");
    return `<div class="mon" data-monitor="${i}" style="grid-template-columns:repeat(${lay.cols},1fr);grid-template-rows:repeat(${lay.rows},1fr)">${slots}</div>`;
  }).join("");
}

function watchWall() {
  stop?.();
  stop = subscribe(paths.wallEvents(wallName()), {
    state: (p) => {
      drawPreview(p);
      refreshQueue();
    },
    ticker: () => refreshCases(),
  });
}

async function wallForms() {
  const note = (e) => ($("#wall-note").textContent = e ? e.detail || String(e) : "");
  const guard = (fn) => async (ev) => {
    ev.preventDefault();
    try {
      await fn(ev);
      note(null);
    } catch (e) {
      note(e);
    }
  };
  $("#to-wall").addEventListener("submit", guard(() => sendToWall($("#to-wall [name=camera]").value)));
  $("#layout").addEventListener("submit", guard(() => {
    const f = Object.fromEntries(new FormData($("#layout")));
    return put(paths.layout(wallName(), f.monitor), { layout: f.layout });
  }));
  $("#scenes").addEventListener("submit", guard(async (ev) => {
    const form = $("#scenes");
    if (ev.submitter?.name === "show") return post(paths.showScene(wallName(), form.scene.value));
    const monitors = wall.state.monitors.map((m) => ({
      layout: m.layout,
      cameras: m.tiles.filter((_x, i) => wall.layouts[m.layout].slots[i].kind === "video")
        .map((x) => (x?.kind === "alarm" ? x.displaced?.camera_id : x?.camera_id) || null),
    }));
    await put(paths.scene(form.name.value), { monitors });
    await fillScenes();
  }));
  $("#tours").addEventListener("submit", guard(async (ev) => {
    const form = $("#tours");
    if (ev.submitter?.name === "stop") return del(paths.tour(wallName()));
    const scenes = Object.keys(await get(paths.scenes()));
    await put(paths.tourDef(form.name.value), { scenes, period_s: Number(form.period.value) });
    await post(paths.tour(wallName(), form.name.value));
  }));
  $("#case-filter").addEventListener("submit", (ev) => {
    ev.preventDefault();
    refreshCases();
  });
}

async function fillScenes() {
  const scenes = await get(paths.scenes());
  $("#scenes [name=scene]").innerHTML = Object.keys(scenes).map((s) => `<option>${esc(s)}</option>`).join("");
}

async function main() {
  await loadLang();
  $("#lang").addEventListener("click", async () => {
    await setLang(lang === "en" ? "zh-CN" : "en");
    refreshQueue();
    refreshCases();
  });
  district = await get(paths.district());
  const walls = await get(paths.walls());
  const sel = $("#wall-name");
  sel.innerHTML = walls.map((w) => `<option>${esc(w)}</option>`).join("");
  const wanted = new URLSearchParams(location.search).get("wall");
  if (wanted) sel.value = wanted;
  sel.addEventListener("change", watchWall);
  $("#to-wall [name=camera]").innerHTML = Object.entries(district.cameras)
    .map(([id, c]) => `<option value="${id}">${id} ${esc(c.name)}</option>`).join("");
  $("#case-filter [name=category]").innerHTML = `<option value="">${t("console.category")}</option>` + categoryOptions("");
  $("#case-filter [name=grid]").innerHTML = `<option value=""></option>` +
    Object.values(district.streets).map((s) => `<option value="${s.code}">${esc(s.name_zh)}</option>`).join("");
  wallForms();
  await fillScenes();
  watchWall();
  await Promise.all([refreshQueue(), refreshCases()]);
  setInterval(refreshQueue, 5000);
}

main();

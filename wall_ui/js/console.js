// The operator console (/console/): verification queue (confirm with edits, reject with a
// reason), case list with filters, case detail with timeline, snapshot, the camera check
// (alarm and after frames side by side), clip and actions, and the wall: send a camera or a
// case to a tile, layouts, scenes and tours; the intake panel (intake-panel.js) files cases
// from calls and wall tiles and triages citizens' reports.
import { ApiError, authHeaders, del, get, keepTicket, paths, post, put } from "./api.js";
import { redrawAssessment, startAssessment } from "./assessment.js";
import { catName, lang, loadLang, setLang, t } from "./i18n.js";
import { startIntakePanel } from "./intake-panel.js";
import { startRecordingsPanel } from "./recordings-panel.js";
import { subscribe } from "./live.js";
import { badge, block, colourOf, loadBoard, wireOrder } from "./supervision.js";

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

// the case's latest detection boxes (the hub's alarm record), on the snapshot they came with
function detectionOf(detail) {
  const boxes = detail.boxes || [];
  const snap = (boxes.length && detail.boxes_snapshot_id) || (detail.facts || {}).snapshot_id;
  return { snapshot_id: snap, boxes };
}

// the camera checks behind the case's latest verification step (hub.domain.verification:
// a verify keeps its K clear checks, a rework or a hand-over to a person its one check)
function latestChecks(events) {
  let checks = [];
  for (const e of events) {
    const d = e.data || {};
    if (d.checks?.length) checks = d.checks;
    else if (d.check) checks = [d.check];
  }
  return checks;
}

// the alarm frame and the frame the camera checked, side by side, with the camera's reasons
function cameraCheck(detail, events) {
  const checks = latestChecks(events);
  if (!checks.length) return "";
  const c = checks[checks.length - 1];
  const before = c.reference_snapshot_id || detectionOf(detail).snapshot_id;
  const frame = (id, label, cls) => `<figure class="${cls}"><figcaption>${label}</figcaption>${
    id ? `<img src="${paths.snapshot(id)}" alt="${esc(label)}">` : `<div class="none dim">${t("check.noFrame")}</div>`}</figure>`;
  const num = (x) => (typeof x === "number" ? x.toFixed(2) : "–");
  const rows = (c.evidence || [])
    .map((e) => `${esc(e.name)} ${num(e.score)} (${t("check.verifyAt")} ${num(e.verify_at)} · ${t("check.alertAt")} ${num(e.alert_at)})`)
    .join("; ");
  const change = c.scene_change != null ? `${t("check.change")} ${num(c.scene_change)} / ${num(c.scene_change_min)}` : "";
  const decide = detail.state === "resolved" && detail.verification === "human";
  return `<section class="camera-check${decide ? " decide" : ""}" data-result="${esc(c.result)}" data-checks="${checks.length}">
    <h4>${t("check.title")} · ${t(`check.${c.result}`)}${checks.length > 1 ? ` ×${checks.length}` : ""}</h4>
    ${decide ? `<p class="ask">${t("check.decide")}</p>` : ""}
    <div class="frames">${frame(before, t("check.before"), "before")}${frame(c.snapshot_id, t("check.after"), "after")}</div>
    <p class="why">${esc(c.reason || "")}</p>
    <p class="dim">${[change, rows].filter(Boolean).join(" · ")}</p></section>`;
}

function categoryOptions(selected) {
  return Object.values(district.categories)
    .map((c) => `<option value="${c.code}" ${c.code === selected ? "selected" : ""}>${c.code} ${esc(lang === "en" ? c.name_en : c.name_zh)}</option>`)
    .join("");
}

// The queue: its first QUEUE_SHOWN alarms (most severe, then oldest) and how many more wait;
// under an alarm storm (a thousand and more) the wall's live stream asks for it often, so a
// refresh waits for the one in flight and comes at most every QUEUE_EVERY_MS, except right
// after the operator's own action.
const QUEUE_SHOWN = 50;
const QUEUE_EVERY_MS = 1000;
const queueRun = { busy: false, again: false, last: 0, timer: null };

async function refreshQueue(now = false) {
  const q = queueRun;
  if (q.busy) {
    q.again = true;
    return;
  }
  const wait = now ? 0 : q.last + QUEUE_EVERY_MS - Date.now();
  if (wait > 0) {
    q.timer ??= setTimeout(() => {
      q.timer = null;
      refreshQueue();
    }, wait);
    return;
  }
  q.busy = true;
  try {
    await drawQueue();
  } finally {
    q.busy = false;
    q.last = Date.now();
    if (q.again) {
      q.again = false;
      refreshQueue();
    }
  }
}

async function drawQueue() {
  const res = await fetch(paths.alarms(QUEUE_SHOWN), { headers: authHeaders() });
  if (!res.ok) throw new ApiError(res.status, res.statusText);
  const alarms = await res.json();
  const total = Number(res.headers.get("X-Total-Count") || alarms.length);
  const ol = $("#queue");
  ol.replaceChildren();
  ol.dataset.total = String(total);
  if (!alarms.length) ol.innerHTML = `<li class="dim">${t("console.empty")}</li>`;
  if (total > alarms.length) {
    ol.append(Object.assign(document.createElement("li"), {
      className: "dim more", textContent: t("console.queueMore", { count: total - alarms.length }),
    }));
  }
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
    const done = await job();
    li.dataset.done = done?.case_no || "1"; // answered: marked at once, the lists follow
    await Promise.all([refreshQueue(true), refreshCases()]);
  } catch (e) {
    note(li, e instanceof ApiError ? e.detail : String(e));
  }
}

async function refreshCases() {
  const q = new URLSearchParams([...new FormData($("#case-filter"))].filter(([, v]) => v)).toString();
  const ol = $("#cases");
  $("#cases-note").textContent = "";
  let cases = [];
  try {
    [cases] = await Promise.all([get(paths.cases(q)), loadBoard()]);
  } catch (e) {
    $("#cases-note").textContent = t("console.error", { detail: e.detail || e });
  }
  ol.replaceChildren();
  if (!cases.length) ol.innerHTML = `<li class="dim">${t("console.empty")}</li>`;
  for (const c of cases) {
    const li = document.createElement("li");
    li.className = `case ${c.case_no === current ? "on" : ""}`;
    li.dataset.caseNo = c.case_no;
    li.dataset.state = c.state;
    li.dataset.category = c.category;
    li.dataset.colour = colourOf(c.case_no);
    const cat = district.categories[c.category];
    const name = cat ? (lang === "en" ? cat.name_en : cat.name_zh) : c.category;
    li.innerHTML = `<b>${esc(c.case_no)}</b> <span>${esc(name)}</span> <span class="dim">${esc(gridName(c.grid_code))} · ${t(`status.${c.state}`)}</span> ${badge(c.case_no)}`;
    li.addEventListener("click", () => showCase(c.case_no));
    ol.append(li);
  }
}

const gridName = (code) =>
  district.grids.features.find((g) => g.properties.code === code)?.properties.name_zh || code || "";

// console buttons → the hub's case actions (hub/api/cases.py); reassign and 1+1+X carry
// the people picked from the roster
const SIMPLE = ["dispatch", "escalate", "verify", "rework", "close"];
let current = null; // the case number shown in the detail
const roster = new Map(); // person id -> {name, role}, from the hub's candidates

function personName(detail, id) {
  return esc(detail.people?.[id]?.name || roster.get(id)?.name || id);
}

function eventLine(e, detail) {
  const d = e.data || {};
  let extra = "";
  if (e.action === "reassign" || e.action === "dispatch" || e.action === "escalate") {
    extra = (d.assignees || []).map((id) => personName(detail, id)).join("、");
  }
  if (e.action === "joint" || d.joint) {
    const j = e.action === "joint" ? d : d.joint;
    extra += ` ${t("console.commander")} ${personName(detail, j.commander)} · ${t("console.lead")} ${personName(detail, j.lead)} · ${t("console.cooperating")} ${(j.cooperating || []).map((id) => personName(detail, id)).join("、")}`;
  }
  const when = new Date(e.at_ms).toLocaleString(lang === "en" ? "en-GB" : "zh-CN", { hour12: false });
  const sv = d.supervision ? ` data-supervision="${esc(d.supervision)}"` : "";
  return `<li data-action="${esc(e.action)}" data-seq="${e.seq}"${sv}>${esc(when)} <b>${esc(e.action)}</b> ${esc(e.actor)}
    ${e.from_state !== e.to_state ? `${e.from_state ? t(`status.${e.from_state}`) : ""} → ${t(`status.${e.to_state}`)}` : ""}
    ${esc(e.reason || "")} ${d.supervision ? esc(e.note || "") : ""} <span class="who">${extra}</span></li>`;
}

function peopleOptions(list, selected) {
  return list.map((p) => `<option value="${esc(p.person_id)}" ${selected.includes(p.person_id) ? "selected" : ""}>${esc(p.name)} · ${esc(p.role)}</option>`).join("");
}

async function showCase(no) {
  current = no;
  const box = $("#detail");
  let detail, events, cand;
  try {
    [detail, events, cand] = await Promise.all([
      get(paths.caseDetail(no)), get(paths.caseTimeline(no)), get(paths.caseCandidates(no)),
      loadBoard(),
    ]);
  } catch (e) {
    box.innerHTML = `<p class="note">${esc(t("console.error", { detail: e.detail || e }))}</p>`;
    return;
  }
  for (const p of cand.roster) roster.set(p.person_id, p);
  const f = detail.facts || {};
  const cat = district.categories[detail.category];
  const j = detail.joint || cand.joint;
  const routedIds = cand.routed.map((p) => p.person_id);
  const others = cand.roster.filter((p) => !routedIds.includes(p.person_id));
  box.dataset.caseNo = no;
  box.dataset.state = detail.state;
  box.innerHTML = `<h3>${esc(no)}</h3><figure class="case-qr" title="${esc(no)}" style="float:right;margin:0">${detail.qr_svg || ""}</figure>${thumb(detectionOf(detail))}
    <p>${esc(cat ? (lang === "en" ? cat.name_en : cat.name_zh) : detail.category)} · ${esc(gridName(detail.grid_code))} ·
      <span class="state">${t(`status.${detail.state}`)}</span> · ${t(`console.urgency.${f.urgency || cat?.urgency || "routine"}`)}</p>
    <p class="assignees">${t("case.assignees")} ${detail.assignees.map((id) => personName(detail, id)).join("、")}</p>
    ${detail.joint ? `<p class="joint">1+1+X: ${t("console.commander")} ${personName(detail, j.commander)} · ${t("console.lead")} ${personName(detail, j.lead)} · ${t("console.cooperating")} ${(j.cooperating || []).map((id) => personName(detail, id)).join("、")}</p>` : ""}
    ${block(no)}
    ${cameraCheck(detail, events)}
    ${f.camera_id ? `<video controls muted preload="none" src="${paths.caseClip(no)}" style="max-width:100%" aria-label="${t("console.clip")}"></video>` : ""}
    <h4>${t("console.timeline")}</h4>
    <ol class="timeline">${events.map((e) => eventLine(e, detail)).join("")}</ol>
    <div class="actions">${SIMPLE.map((a) => `<button data-action="${a}">${t(`console.${a}`)}</button>`).join("")}
      <button data-action="to-wall">${t("console.toWall")}</button></div>
    <form class="reassign"><label>${t("console.assignee")} <select name="assignee">
      <optgroup label="${t("console.routed")}">${peopleOptions(cand.routed, [])}</optgroup>
      <optgroup label="${t("console.roster")}">${peopleOptions(others, [])}</optgroup></select></label>
      <button data-action="reassign">${t("console.reassign")}</button></form>
    <form class="joint">
      <label>${t("console.commander")} <select name="commander">${peopleOptions(cand.roster, [j.commander])}</select></label>
      <label>${t("console.lead")} <select name="lead">${peopleOptions(cand.roster, [j.lead])}</select></label>
      <label>${t("console.cooperating")} <select name="cooperating" multiple size="4">${peopleOptions(cand.roster, j.cooperating || [])}</select></label>
      <button data-action="joint">${t("console.joint")}</button></form>
    <p class="note"></p>`;
  const run = async (body) => {
    try {
      await post(paths.caseAction(no), body);
      await Promise.all([showCase(no), refreshCases()]);
    } catch (e) {
      box.querySelector(".note").textContent = t("console.error", { detail: e.detail || e });
    }
  };
  box.querySelectorAll(".actions [data-action]").forEach((b) =>
    b.addEventListener("click", async () => {
      if (b.dataset.action !== "to-wall") return run({ action: b.dataset.action });
      try {
        await sendToWall(f.camera_id);
      } catch (e) {
        box.querySelector(".note").textContent = t("console.error", { detail: e.detail || e });
      }
    }));
  wireOrder(box, no, () => Promise.all([showCase(no), refreshCases()]), (e) => {
    box.querySelector(".note").textContent = t("console.error", { detail: e.detail || e });
  });
  box.querySelector("form.reassign").addEventListener("submit", (ev) => {
    ev.preventDefault();
    run({ action: "reassign", assignees: [ev.target.assignee.value] });
  });
  box.querySelector("form.joint").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.target;
    run({
      action: "joint",
      commander: form.commander.value,
      lead: form.lead.value,
      cooperating: [...form.cooperating.selectedOptions].map((o) => o.value),
    });
  });
}

// The camera picker: the hub searches and pages (/api/wall/cameras); a county's 12,000
// cameras never come to the page at once. Typing searches after a short pause; a reply to
// an older search than the last is dropped.
const picker = { offset: 0, seq: 0 };
const PICK_PAGE = 50;

async function searchCameras() {
  const form = $("#to-wall");
  const query = new URLSearchParams({ q: form.q.value.trim(), limit: String(PICK_PAGE), offset: String(picker.offset) });
  if (form.status.value) query.set("status", form.status.value);
  const seq = ++picker.seq;
  const res = await get(paths.cameras(query.toString()));
  if (seq !== picker.seq) return;
  form.camera.innerHTML = res.items
    .map((c) => `<option value="${esc(c.camera_id)}">${esc(c.camera_id)} ${esc(c.name)}${c.status === "online" ? "" : ` · ${esc(c.status)}`}</option>`)
    .join("");
  const found = form.querySelector(".found");
  found.textContent = t("console.found", { total: res.total, from: res.total ? res.offset + 1 : 0, to: res.offset + res.items.length });
  found.dataset.total = String(res.total);
  found.dataset.q = query.get("q"); // what the shown page answers
  form.prev.disabled = res.offset === 0;
  form.next.disabled = res.offset + res.items.length >= res.total;
}

function cameraPicker() {
  const form = $("#to-wall");
  form.q.placeholder = t("console.cameraSearch");
  form.status.innerHTML = [["", t("console.anyStatus")], ["online", t("console.online")], ["offline", t("tile.offline")], ["not_started", t("tile.not_started")]]
    .map(([v, label]) => `<option value="${v}">${esc(label)}</option>`).join("");
  let pause = null;
  const again = () => {
    picker.offset = 0;
    clearTimeout(pause);
    pause = setTimeout(() => searchCameras().catch(() => {}), 200);
  };
  form.q.addEventListener("input", again);
  form.q.addEventListener("keydown", (ev) => ev.key === "Enter" && ev.preventDefault());
  form.status.addEventListener("change", again);
  form.prev.addEventListener("click", () => {
    picker.offset = Math.max(0, picker.offset - PICK_PAGE);
    searchCameras();
  });
  form.next.addEventListener("click", () => {
    picker.offset += PICK_PAGE;
    searchCameras();
  });
  searchCameras();
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
      const pick = tile?.camera_id ? ` data-camera="${esc(tile.camera_id)}" data-alarm="${esc(tile.alarm_id || "")}"` : "";
      return `<div class="s ${s.kind} ${tile?.kind || ""}"${pick} style="grid-area:${s.row + 1}/${s.col + 1}/span ${s.h}/span ${s.w}">${esc(label)}</div>`;
    }).join("");
    return `<div class="mon" data-monitor="${i}" style="grid-template-columns:repeat(${lay.cols},1fr);grid-template-rows:repeat(${lay.rows},1fr)">${slots}</div>`;
  }).join("");
  // a tile clicked here is what the intake panel files a case from
  for (const el of prev.querySelectorAll(".s[data-camera]")) {
    el.addEventListener("click", () => dispatchEvent(new CustomEvent("tile-picked", {
      detail: { camera_id: el.dataset.camera, alarm_id: el.dataset.alarm || null },
    })));
  }
}

function watchWall() {
  stop?.();
  const name = wallName();
  stop = subscribe(() => paths.wallEvents(name), {
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
    const period_s = Number(form.period.value);
    if (form.cameras.checked) { // the cameras the picker's search finds, a wall-full at a time
      const pick = $("#to-wall");
      const cameras = { q: pick.q.value.trim(), status: pick.status.value || null };
      await put(paths.tourDef(form.name.value), { cameras, period_s });
    } else {
      const scenes = Object.keys(await get(paths.scenes()));
      await put(paths.tourDef(form.name.value), { scenes, period_s });
    }
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

function stateLabels() {
  for (const o of document.querySelectorAll("#case-filter [name=state] option[value]")) {
    if (o.value) o.textContent = t(`status.${o.value}`);
  }
}

async function main() {
  await loadLang();
  stateLabels();
  $("#lang").addEventListener("click", async () => {
    await setLang(lang === "en" ? "zh-CN" : "en");
    stateLabels();
    refreshQueue();
    refreshCases();
    if (current) showCase(current);
    redrawAssessment();
  });
  district = await get(paths.district());
  await keepTicket(); // for the live stream, snapshots and clips
  startRecordingsPanel(); // a camera's recorded 24 h, playback, clip export (runs on its own)
  const walls = await get(paths.walls());
  const sel = $("#wall-name");
  sel.innerHTML = walls.map((w) => `<option>${esc(w)}</option>`).join("");
  const wanted = new URLSearchParams(location.search).get("wall");
  if (wanted) sel.value = wanted;
  sel.addEventListener("change", watchWall);
  cameraPicker();
  $("#case-filter [name=category]").innerHTML = `<option value="">${t("console.category")}</option>` + categoryOptions("");
  $("#case-filter [name=grid]").innerHTML = `<option value=""></option>` +
    Object.values(district.streets).map((s) => `<option value="${s.code}">${esc(s.name_zh)}</option>`).join("");
  wallForms();
  startIntakePanel(categoryOptions);
  startAssessment(showCase); // a case behind a figure opens in the detail
  await fillScenes();
  watchWall();
  await Promise.all([refreshQueue(), refreshCases()]);
  setInterval(refreshQueue, 5000);
}

// ?desk=DEPARTMENT_ID: a department's desk instead (desk.js), without the wall
if (!new URLSearchParams(location.search).has("desk")) main();

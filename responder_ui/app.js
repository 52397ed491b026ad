// The responder app: my cases (list + map), a case's detail with snapshot, live view and
// deadline, and the actions of the field: accept, return with a reason, on scene, resolve
// with after-photos; a patrol report of something found (report.js). Actions go through the
// offline queue (queue.js).
import { api, keepTicket, token, withTicket } from "./api.js";
import { enqueue, flush, onChange, pending } from "./queue.js";
import { drawMap } from "./map.js";
import { followChanges, followLive, registerWorker, subscribePush } from "./push.js";
import { reportView } from "./report.js";

const view = document.getElementById("view");
const STATE = {
  dispatched: "待接单", accepted: "已接单", in_progress: "处置中", resolved: "已处置 · 待核查",
  returned: "已退回", rework: "返工", verified: "已核查", closed: "已结案", suspended: "挂起",
};
const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
const PHOTO_MAX = 5_000_000;
let grids = null;
const names = JSON.parse(localStorage.getItem("gw-category-names") || "{}");

const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function toast(text) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 5000);
}

function due(ms) {
  if (!ms) return "";
  const min = Math.round((ms - Date.now()) / 60000);
  const late = min < 0;
  const text = late ? `超时 ${-min} 分钟` : `剩余 ${min} 分钟`;
  return `<span class="due ${late ? "late" : ""}" data-due="${ms}">${text}</span>`;
}

function gridName(code) {
  const f = grids && grids.features.find((x) => x.properties.code === code);
  return f ? f.properties.name_zh : code;
}

async function ensureGrids() {
  if (!grids) grids = await cached("gw-grids", () => api("/api/grids"));
  return grids;
}

// Offline, the last copy seen is shown, with the queued actions applied on top.
const NEXT = { accept: "accepted", start: "in_progress", return: "returned", resolve: "resolved" };

async function cached(key, fetcher) {
  try {
    const fresh = await fetcher();
    localStorage.setItem(key, JSON.stringify(fresh));
    return fresh;
  } catch (err) {
    const old = localStorage.getItem(key);
    if (err instanceof TypeError && old) return JSON.parse(old);  // network down: last copy
    throw err;
  }
}

async function withQueued(c) {
  const mine = (await pending()).filter((q) => q.case_no === c.case_no);
  return mine.reduce((acc, q) => ({ ...acc, state: NEXT[q.action] || acc.state }), c);
}

async function detailOf(c) {
  const d = await cached(`gw-case-${c.case_no}`, () => api(`/api/cases/${c.case_no}`));
  const f = d.facts || {};
  return withQueued({ ...c, ...d, lon: f.lon, lat: f.lat, deadline: d.state === "dispatched" ? f.accept_due_ms : f.dispose_due_ms });
}

async function casesView() {
  await ensureGrids();
  const list = await cached("gw-cases", () => api("/api/cases?open_only=true&limit=100"));
  const cases = await Promise.all(list.map(detailOf));
  view.innerHTML = `<a class="card report" href="#/report" id="new-report">＋ 巡查上报 · Patrol report</a>
    <svg class="map" id="map" role="img" aria-label="my cases on the grid map"></svg>
    <h3>我的案件 (${cases.length})</h3>
    ${cases.map((c) => `<a class="card" href="#/case/${c.case_no}" data-case="${c.case_no}">
        <div class="no">${c.case_no}</div>
        <div><b>${esc(names[c.category] || c.category)}</b> · ${esc(gridName(c.grid_code))}</div>
        <div><span class="state" data-state="${c.state}">${esc(STATE[c.state] || c.state)}</span> ${due(c.deadline)}</div>
      </a>`).join("") || "<p>没有待办案件 · no open cases</p>"}`;
  drawMap(document.getElementById("map"), grids, cases);
}

function can(state, action) {
  return {
    accept: ["dispatched"], return: ["dispatched", "accepted"], start: ["accepted"],
    resolve: ["accepted", "in_progress", "rework"],
  }[action]?.includes(state) ?? true;  // joint_ack: any state the case shows it in
}

// 1+1+X: my acknowledgement of the joint command, or how many units have given theirs
let me = localStorage.getItem("gw-me") || "";
async function whoAmI() {
  try {
    me = (await api("/api/responder/me")).person_id;
    localStorage.setItem("gw-me", me);
  } catch { /* offline: the last one seen */ }
}

function jointLine(c, queued) {
  const tu = c.turnout;
  if (!tu) return "";
  const mine = tu.pending.includes(me) && !queued.some((q) => q.action === "joint_ack");
  return mine ? `<button data-action="joint_ack" id="joint-ack">收到 1+1+X 指令 · Acknowledge</button>`
    : `<p class="joint" id="joint-state">1+1+X ${tu.units.length - tu.pending.length}/${tu.units.length}</p>`;
}

async function caseView(no) {
  await ensureGrids();
  const c = await detailOf({ case_no: no });
  const queued = (await pending()).filter((q) => q.case_no === no);
  const f = c.facts || {};
  if (formDirty() && document.getElementById("case-no")?.textContent === no) {
    await refreshState();   // keep the photos and note the responder is filling in
    return;
  }
  const snap = f.snapshot_id ? `<img class="snap" alt="snapshot" src="${withTicket(`/api/snapshots/${f.snapshot_id}?case=${c.case_no}`)}">` : "";
  view.innerHTML = `<a href="#/cases">← 我的案件</a>
    <h2 class="no" id="case-no">${c.case_no}</h2>
    <p><b>${esc(names[c.category] || c.category)}</b> · ${esc(gridName(c.grid_code))}</p>
    <p><span class="state" id="state" data-state="${c.state}">${esc(STATE[c.state] || c.state)}</span> ${due(c.deadline)}
       ${queued.length ? `<span class="queued" id="case-queued">${queued.length} 待发送</span>` : ""}</p>
    ${snap}
    ${f.camera_id ? `<button class="secondary" id="live-btn">实时画面 · live view</button><img class="live" id="live" hidden alt="live">` : ""}
    ${jointLine(c, queued)}
    <div class="actions">
      <button data-action="accept" ${can(c.state, "accept") ? "" : "disabled"}>接单 Accept</button>
      <button data-action="start" ${can(c.state, "start") ? "" : "disabled"}>到场 On scene</button>
      <button class="secondary" data-action="return" ${can(c.state, "return") ? "" : "disabled"}>退回 Not mine</button>
    </div>
    <form id="resolve" ${can(c.state, "resolve") ? "" : "hidden"}>
      <label class="file">处置后照片 After-photos
        <input type="file" id="photos" accept="image/jpeg,image/png,image/webp" capture="environment" multiple></label>
      <textarea id="note" placeholder="处置说明 note"></textarea>
      <button type="submit" data-action="resolve">处置完成 Resolve</button>
    </form>
    <p class="error" id="last-error"></p>`;
  const liveBtn = document.getElementById("live-btn");
  if (liveBtn) liveBtn.onclick = () => {
    const img = document.getElementById("live");
    img.hidden = false;
    img.src = withTicket(`/video/${f.camera_id}/mjpeg?case=${c.case_no}`);  // the hub checks the case is mine
  };
  for (const b of view.querySelectorAll("button[data-action]:not([type=submit])")) {
    b.onclick = async () => {
      const action = b.dataset.action;
      let reason = null;
      if (action === "return") {
        reason = prompt("退回原因 Reason", "不是我的网格 · not mine");
        if (!reason) return;
      }
      await enqueue({ case_no: no, action, reason });
    };
  }
  document.getElementById("resolve").onsubmit = async (e) => {
    e.preventDefault();
    const files = [...document.getElementById("photos").files];
    const problem = !files.length ? "至少一张照片 · at least one after-photo"
      : files.map((x) => !PHOTO_TYPES.includes(x.type) ? `${x.name}: 只收 JPEG/PNG/WebP (is ${x.type || "unknown"})`
        : x.size > PHOTO_MAX ? `${x.name}: ${x.size} bytes, over ${PHOTO_MAX}` : "").filter(Boolean).join("\n");
    if (problem) { document.getElementById("last-error").textContent = problem; return; }
    const photos = files.map((x) => ({ name: x.name, blob: x }));
    const note = document.getElementById("note").value;
    e.target.reset();
    await enqueue({ case_no: no, action: "resolve", note, photos });
  };
}

async function route() {
  if (!token()) {
    view.innerHTML = `<p>请用单位发放的链接登录 · open the sign-in link your unit gave you.</p>`;
    return;
  }
  if (location.hash === "#/report") {  // a form being filled in is never re-rendered
    if (!document.getElementById("report-form")) await reportView(view, toast).catch((err) => { view.innerHTML = `<p class="error">${esc(err.message)}</p>`; });
    return;
  }
  const m = location.hash.match(/^#\/case\/(\d{20})$/);
  try {
    await (m ? caseView(m[1]) : casesView());
  } catch (err) {
    if (m && err.status === 404) {  // no longer mine: escalated or reassigned to others
      localStorage.removeItem(`gw-case-${m[1]}`);
      toast(`${m[1]} 已转交他人 · no longer yours`);
      location.hash = "#/cases";
      return;
    }
    view.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

function showNet() {
  const el = document.getElementById("net");
  el.textContent = navigator.onLine ? "在线" : "离线 offline";
  el.classList.toggle("off", !navigator.onLine);
}

onChange((n, event) => {
  const q = document.getElementById("queued");
  q.hidden = n === 0;
  q.textContent = `${n} 待发送`;
  if (event.failed) {
    const el = document.getElementById("last-error");
    if (el) el.textContent = `${event.failed.action}: ${event.error}`;
    toast(`未完成 ${event.failed.action}: ${event.error}`);
  }
  if (event.done?.action === "patrol") toast(`已上报 · filed ${event.result.case_no} (${event.result.outcome})`);
  if (event.done || event.failed || event.queued) (formDirty() ? refreshState() : route());
});

// A re-render would drop photos the responder has picked: then only the state is refreshed.
function formDirty() {
  const photos = document.getElementById("photos");
  const note = document.getElementById("note");
  return Boolean((photos && photos.files.length) || (note && note.value));
}

async function refreshState() {
  const no = document.getElementById("case-no")?.textContent;
  if (!no) return;
  const c = await detailOf({ case_no: no });
  const el = document.getElementById("state");
  el.dataset.state = c.state;
  el.textContent = STATE[c.state] || c.state;
  for (const b of view.querySelectorAll("button[data-action]:not([type=submit])")) b.disabled = !can(c.state, b.dataset.action);
}

addEventListener("hashchange", route);
addEventListener("online", showNet);
addEventListener("offline", showNet);
showNet();

async function start() {
  // a ticket first: the case page's snapshot and live view need one (offline, this fails and
  // the cached pages show; the renewal and the streams retry)
  if (token()) await Promise.all([keepTicket(), whoAmI()]);
  route();
  if (!token()) return;
  followLive((p) => {
    if (p.category_name) { names[p.category] = p.category_name; localStorage.setItem("gw-category-names", JSON.stringify(names)); }
    toast(`${p.kind === "escalation" ? "升级" : "新案件"} ${p.category_name} · ${p.place}`);
    route();
  });
  followChanges((refs) => {
    const shown = location.hash.match(/^#\/case\/(\d{20})$/);
    if (shown && !refs.includes(shown[1])) return;  // a change of a case not on the screen
    if (shown && formDirty()) refreshState().catch(() => route());
    else route();
  });
  registerWorker().then((reg) => subscribePush(reg)).then((s) => console.info("push:", s)).catch((e) => console.warn(e));
  flush();
}
start();

// The console's intake panel: file a case from a phone call or from a wall tile (the tile's
// camera gives the place; an alarm tile's snapshot, or a live still of a camera tile, goes
// with it), the citizens' triage queue (file or reject with a reason), and a 12345 /
// department CSV upload. Everything is the hub's intake API (docs/intake.md).
import { ApiError, authHeaders, get, paths, post } from "./api.js";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
let picked = null; // {camera_id, alarm_id} of the wall tile clicked in the preview

const say = (sel, text, ok) => {
  const el = $(sel);
  el.textContent = text;
  el.classList.toggle("ok", Boolean(ok));
};

function requestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "op-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A wall tile clicked in the preview (console.js sends "tile-picked"): the form files from it.
function pickTile(tile) {
  picked = tile;
  const form = $("#file-case");
  form.via.value = "wall";
  $("#file-tile").textContent = `${tile.alarm_id ? "⚠ " : ""}${tile.camera_id}`;
}

async function stillOf(tile) {
  if (tile.alarm_id) {
    const alarm = (await get(paths.alarms())).find((a) => a.alarm_id === tile.alarm_id);
    if (alarm?.snapshot_id) return { snapshot_id: alarm.snapshot_id };
  }
  try { // a camera tile: a still from the live stream, sent as the case's photo
    const res = await fetch(paths.liveStill(tile.camera_id), { headers: authHeaders() });
    if (res.ok) return { photo: await res.blob() };
  } catch (_e) { /* no live picture: filed without one */ }
  return {};
}

async function fileCase(ev) {
  ev.preventDefault();
  const form = ev.target;
  const data = new FormData();
  data.append("request_id", form.dataset.requestId || (form.dataset.requestId = requestId()));
  data.append("category", form.category.value);
  data.append("via", form.via.value);
  for (const k of ["lon", "lat", "caller_phone", "note"]) if (form[k].value.trim()) data.append(k, form[k].value.trim());
  let still = "";
  if (form.via.value === "wall") {
    if (!picked) return say("#file-note", "先在大屏预览中点选窗口 · click a tile in the wall preview first");
    data.append("camera_id", picked.camera_id);
    const s = await stillOf(picked);
    if (s.snapshot_id) data.append("snapshot_id", s.snapshot_id);
    if (s.photo) data.append("photos", s.photo, `${picked.camera_id}-still.jpg`);
    still = s.snapshot_id || s.photo ? " (+ still)" : " (no still)";
  }
  try {
    const r = await post(paths.intakeOperator(), data);
    say("#file-note", `已立案 · filed ${r.case_no} (${r.outcome})${still}`, true);
    $("#file-note").dataset.caseNo = r.case_no;
    form.reset();
    delete form.dataset.requestId; // the next case is a new request; a retry of this one is not
    picked = null;
    $("#file-tile").textContent = "";
  } catch (e) {
    say("#file-note", e instanceof ApiError ? e.detail : String(e));
  }
}

async function refreshTriage() {
  const list = await get(paths.triage());
  const ol = $("#triage");
  ol.innerHTML = list.map((c) => `<li class="item triage" data-case="${c.case_no}">
      <div class="thumb">${c.photos[0] ? `<img src="${paths.media(c.photos[0])}" alt="">` : ""}</div>
      <div class="meta"><div class="row"><b>${c.case_no}</b> ${esc(c.category)} · ${esc(c.place || c.grid_code)}</div>
        <div class="row dim">${esc(c.note || "")} ${c.phone ? "☎" : ""}</div>
        <div class="row"><button class="confirm file">立案派遣 File</button>
          <input class="reason" placeholder="reason"><button class="reject">不受理 Reject</button></div></div></li>`).join("")
    || `<li class="dim">—</li>`;
  for (const li of ol.querySelectorAll("li[data-case]")) {
    const decide = async (decision) => {
      const reason = li.querySelector(".reason").value.trim() || undefined;
      try {
        await post(paths.triageDecide(li.dataset.case), { decision, reason });
        await refreshTriage();
      } catch (e) {
        say("#triage-note", e instanceof ApiError ? e.detail : String(e));
      }
    };
    li.querySelector(".file").addEventListener("click", () => decide("file"));
    li.querySelector(".reject").addEventListener("click", () => decide("reject"));
  }
}

async function importCsv(ev) {
  ev.preventDefault();
  const form = ev.target;
  const file = form.file.files[0];
  if (!file) return say("#import-note", "选择 CSV 文件 · choose a CSV file");
  try {
    const r = await post(paths.importCsv(form.source.value), new Blob([await file.arrayBuffer()], { type: "text/csv" }));
    const counts = {};
    for (const x of r.records) counts[x.outcome] = (counts[x.outcome] || 0) + 1;
    say("#import-note", `导入 · imported: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ")}`, true);
  } catch (e) {
    let text = e instanceof ApiError ? e.detail : String(e);
    try { text = JSON.parse(text).problems.join("\n"); } catch (_e) { /* a plain message */ }
    say("#import-note", text);
  }
}

export function startIntakePanel(categoryOptions) {
  $("#file-case [name=category]").innerHTML = categoryOptions("");
  $("#file-case").addEventListener("submit", fileCase);
  $("#import-csv").addEventListener("submit", importCsv);
  addEventListener("tile-picked", (e) => pickTile(e.detail));
  refreshTriage();
  setInterval(() => refreshTriage().catch(() => {}), 5000);
}

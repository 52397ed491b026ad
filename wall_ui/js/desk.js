// A department's desk (/console/?desk=DEPARTMENT_ID, with a token scoped to that department:
// `department=ID` in the hub's tokens): its queue of open cases, oldest first, each with the
// colour of its time limit (green, yellow, red: hub/supervision), accepted or assigned to one
// of its people (the case's accept / reassign actions), or handed over to another department
// with a reason (POST /api/cases/{no}/hand-over). The hub limits what the token sees: only
// this department's cases, only its people to assign (docs/intake.md).
import { ApiError, base, get, post } from "./api.js";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const enc = encodeURIComponent;
const COLOURS = { green: "正常 on time", yellow: "临期 near the limit", red: "超时 overdue" };
const desk = new URLSearchParams(location.search).get("desk");

const url = {
  desk: (id) => `${base}/api/departments/${enc(id)}/desk`,
  action: (no) => `${base}/api/cases/${enc(no)}/actions`,
  handOver: (no) => `${base}/api/cases/${enc(no)}/hand-over`,
};

const say = (text, ok) => {
  const el = $("#desk-note");
  el.textContent = text;
  el.classList.toggle("ok", Boolean(ok));
};

function caseItem(c, d) {
  const who = (id) => d.people.find((p) => p.person_id === id)?.name || id;
  const due = c.due_ms ? new Date(c.due_ms).toLocaleString("zh-CN", { hour12: false }) : "";
  const people = d.people.map((p) => `<option value="${esc(p.person_id)}">${esc(p.name)} · ${esc(p.person_id)}</option>`).join("");
  const others = d.departments.map((o) => `<option value="${esc(o.id)}">${esc(o.name_zh)}</option>`).join("");
  return `<li class="item desk-case" data-case="${esc(c.case_no)}" data-colour="${esc(c.colour || "")}" data-state="${esc(c.state)}">
    <div class="row"><span class="sv" data-colour="${esc(c.colour || "")}">● ${c.share != null ? Math.round(c.share * 100) + "%" : ""}</span>
      <b>${esc(c.case_no)}</b> ${esc(c.category)} · ${esc(c.grid_code)} · ${esc(c.state)}
      <span class="dim">${esc(COLOURS[c.colour] || "")}${due ? ` · ${esc(due)}` : ""}</span></div>
    <div class="row assignees">处置人 assignees: ${c.assignees.map((a) => esc(who(a))).join(", ") || "—"}</div>
    <div class="row">${c.state === "dispatched" ? `<button class="accept">受理 Accept</button>` : ""}
      <select class="person" aria-label="person">${people}</select><button class="assign">指派 Assign</button></div>
    <div class="row"><select class="to" aria-label="department">${others}</select>
      <input class="reason" placeholder="移交理由 reason" maxlength="500"><button class="hand-over">移交 Hand over</button></div></li>`;
}

async function act(fn, done) {
  try {
    await fn();
    say(done, true);
  } catch (e) {
    say(e instanceof ApiError ? e.detail : String(e));
  }
  await refresh();
}

function wire(li) {
  const no = li.dataset.case;
  li.querySelector(".accept")?.addEventListener("click", () =>
    act(() => post(url.action(no), { action: "accept" }), `已受理 · accepted ${no}`));
  li.querySelector(".assign").addEventListener("click", () => {
    const person = li.querySelector(".person").value;
    act(() => post(url.action(no), { action: "reassign", assignees: [person] }), `已指派 · assigned ${no} to ${person}`);
  });
  li.querySelector(".hand-over").addEventListener("click", () => {
    const department = li.querySelector(".to").value;
    const reason = li.querySelector(".reason").value.trim();
    if (!reason) return say("移交需要理由 · a hand-over needs a reason");
    act(() => post(url.handOver(no), { department, reason }), `已移交 · handed ${no} to ${department}`);
  });
}

async function refresh() {
  const d = await get(url.desk(desk));
  $("#desk-title").textContent = `${d.name_zh} · ${d.platform}`;
  $("#desk-sla").textContent = d.sla ? `SLA: 受理 accept ${d.sla.accept_min} min · 处置 dispose ${d.sla.dispose_min} min` : "";
  const ol = $("#desk-cases");
  ol.innerHTML = d.cases.map((c) => caseItem(c, d)).join("") || `<li class="dim">—</li>`;
  ol.querySelectorAll("li[data-case]").forEach(wire);
  ol.dataset.loaded = String(Date.now());
}

if (desk) {
  document.body.classList.add("desk-mode");
  $("#desk-box").hidden = false;
  refresh().catch((e) => say(e instanceof ApiError ? e.detail : String(e)));
  setInterval(() => {
    if (!document.activeElement?.closest?.("#desk-cases")) refresh().catch(() => {});
  }, 5000);
}

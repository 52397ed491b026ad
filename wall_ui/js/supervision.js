// Supervision (督办) in the console: each open case's colour by the share of its time limit
// used (hub/supervision: GET /api/supervision), a badge in the case list, the standing and an
// order form (note + deadline) in the case detail (POST /api/cases/{no}/supervision-orders).
import { get, paths, post } from "./api.js";
import { t } from "./i18n.js";

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
let board = new Map(); // case number -> {colour, share, due_ms, orders}

// the hub's board, read again; an operator-only route, so other roles just see no colours
export async function loadBoard() {
  try {
    board = new Map((await get(paths.supervision)).map((row) => [row.case_no, row]));
  } catch {
    board = new Map();
  }
  return board;
}

const pct = (share) => `${Math.round(share * 100)}%`;

// the case list's badge: a coloured dot with the share used, nothing for a closed case
export function badge(no) {
  const row = board.get(no);
  if (!row) return "";
  return `<span class="sv" data-colour="${row.colour}" title="${esc(t(`supervision.${row.colour}`))}">● ${pct(row.share)}</span>`;
}

export const colourOf = (no) => board.get(no)?.colour || "";

// the detail's block: standing, deadline, orders so far, and the order form
export function block(no) {
  const row = board.get(no);
  if (!row) return "";
  const due = new Date(row.due_ms).toLocaleString("zh-CN", { hour12: false });
  return `<div class="supervision" data-colour="${row.colour}">
    <p><b>${t("supervision.title")}</b> ${esc(t(`supervision.${row.colour}`))} · ${t("supervision.used", { share: pct(row.share) })} · ${t("supervision.due", { due: esc(due) })}${row.orders ? ` · ${t("supervision.orders", { n: row.orders })}` : ""}</p>
    <form class="sv-order"><label>${t("supervision.note")} <input name="note" required maxlength="2000" size="28"></label>
      <label>${t("supervision.within")} <select name="hours">${[1, 2, 4, 8, 24].map((h) => `<option value="${h}" ${h === 4 ? "selected" : ""}>${h} h</option>`).join("")}</select></label>
      <button>${t("supervision.order")}</button></form></div>`;
}

// the order form posts to the hub; ``done`` re-renders, ``fail`` shows the hub's reason
export function wireOrder(box, no, done, fail) {
  const form = box.querySelector("form.sv-order");
  if (!form) return;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { note: form.note.value, deadline_ms: Date.now() + Number(form.hours.value) * 3_600_000 };
    try {
      await post(paths.supervisionOrder(no), body);
      await done();
    } catch (e) {
      fail(e);
    }
  });
}

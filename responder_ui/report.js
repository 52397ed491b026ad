// A grid member's patrol report (巡查上报): category, photos taken in the app (sent as taken,
// EXIF and all), the phone's position, a note; "fixed on the spot" (随手办) with an
// after-photo closes the case at once. The report goes through the offline queue like every
// action: its id is made on the phone, so a report sent again after being offline is one case.
import { api } from "./api.js";
import { enqueue } from "./queue.js";

const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
const PHOTO_MAX = 5_000_000;
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

async function categories() {
  try {
    const list = await api("/api/intake/categories");
    localStorage.setItem("gw-intake-categories", JSON.stringify(list));
    return list;
  } catch (err) {
    const old = localStorage.getItem("gw-intake-categories");
    if (old) return JSON.parse(old);  // offline: the list seen last
    throw err;
  }
}

function checkPhotos(files, what) {
  return files.map((x) => !PHOTO_TYPES.includes(x.type) ? `${x.name}: 只收 JPEG/PNG/WebP (is ${x.type || "unknown"})`
    : x.size > PHOTO_MAX ? `${x.name}: ${x.size} bytes, over ${PHOTO_MAX}` : "").filter(Boolean)
    .concat(files.length ? [] : [`至少一张${what} · at least one ${what === "照片" ? "photo" : "after-photo"}`]);
}

export async function reportView(view, toast) {
  const cats = await categories();
  view.innerHTML = `<a href="#/cases">← 我的案件</a>
    <h2>巡查上报 · Patrol report</h2>
    <form id="report-form">
      <select id="r-category" required>${cats.map((c) => `<option value="${c.code}">${esc(c.name_zh)} · ${esc(c.name_en)}</option>`).join("")}</select>
      <label class="file">问题照片 Photos
        <input type="file" id="r-photos" accept="image/jpeg,image/png,image/webp" capture="environment" multiple></label>
      <p id="r-where">定位中 · locating…</p>
      <textarea id="r-note" placeholder="说明 note"></textarea>
      <label><input type="checkbox" id="r-spot"> 随手办 · fixed on the spot</label>
      <label class="file" id="r-after-box" hidden>处置后照片 After-photos
        <input type="file" id="r-after" accept="image/jpeg,image/png,image/webp" capture="environment" multiple></label>
      <button type="submit">上报 Send</button>
    </form>
    <p class="error" id="last-error"></p>`;
  let point = null;
  const where = document.getElementById("r-where");
  navigator.geolocation?.getCurrentPosition(
    (pos) => { point = [pos.coords.longitude, pos.coords.latitude]; where.textContent = `位置 ${point[1].toFixed(5)}, ${point[0].toFixed(5)}`; },
    () => { where.textContent = "无定位: 用照片里的位置 · no GPS: the photo's EXIF position is used"; },
  );
  const spot = document.getElementById("r-spot");
  spot.onchange = () => { document.getElementById("r-after-box").hidden = !spot.checked; };
  document.getElementById("report-form").onsubmit = async (e) => {
    e.preventDefault();
    const before = [...document.getElementById("r-photos").files];
    const after = spot.checked ? [...document.getElementById("r-after").files] : [];
    const problems = checkPhotos(before, "照片").concat(spot.checked ? checkPhotos(after, "处置后照片") : []);
    if (problems.length) { document.getElementById("last-error").textContent = problems.join("\n"); return; }
    await enqueue({
      case_no: "", action: "patrol", category: document.getElementById("r-category").value,
      lon: point?.[0], lat: point?.[1], note: document.getElementById("r-note").value,
      on_the_spot: spot.checked,
      photos: before.map((x) => ({ name: x.name, blob: x })), after: after.map((x) => ({ name: x.name, blob: x })),
    });
    toast(navigator.onLine ? "上报中 · sending" : "离线: 已排队 · queued until online");
    location.hash = "#/cases";
  };
}


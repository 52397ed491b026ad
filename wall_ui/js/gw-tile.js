// <gw-tile>: one wall tile. Plays a camera's live sub-stream over WHEP and shows its name,
// grid and a clock; states connecting / live / lost (last frame kept, greyed) / offline /
// not_started (its box was never heard from: no frames is expected, not a fault);
// pauses while hidden; reconnects with backoff; an alarm adds the red frame, the snapshot
// with boxes, category, grid, case number, SLA countdown and a replay of the clip.
import { paths } from "./api.js";
import { WhepSession } from "./whep.js";
import { catName, t } from "./i18n.js";

const STALL_MS = 3000; // no new frame for this long: signal lost
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];

const html = `
<link rel="stylesheet" href="/ui/css/tile.css">
<div class="frame">
  <video muted playsinline autoplay></video>
  <div class="badge state"></div>
  <div class="top"><span class="name"></span><span class="grid"></span><span class="clock"></span></div>
  <div class="alarm">
    <div class="head"><span class="cat"></span><span class="status"></span><span class="countdown"></span></div>
    <div class="inset"><img class="snap" alt=""><svg class="boxes" viewBox="0 0 1 1" preserveAspectRatio="none"></svg>
      <video class="replay" muted playsinline></video></div>
    <div class="foot"><span class="agrid"></span><span class="caseno"></span><span class="who"></span>
      <span class="due"></span><span class="turnout"></span></div>
  </div>
</div>`;

export class GwTile extends HTMLElement {
  static get observedAttributes() {
    return ["camera", "offline", "not-started"];
  }

  constructor() {
    super();
    this.attachShadow({ mode: "open" }).innerHTML = html;
    this.$ = (sel) => this.shadowRoot.querySelector(sel);
    this.video = this.$("video");
    this.frames = 0; // presented frames since this element started: tests read it
    this.lastFrameAt = 0;
    this.session = null;
    this.visible = false; // until the IntersectionObserver sees it: a tile off screen pulls no video
    this.attempt = 0;
    this.alarmData = null;
    this.info = {};
  }

  connectedCallback() {
    this.observer = new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      this.sync();
    });
    this.observer.observe(this);
    this.onVisibility = () => this.sync();
    document.addEventListener("visibilitychange", this.onVisibility);
    this.timer = setInterval(() => this.tick(), 250);
    this.countFrames();
    this.sync();
  }

  disconnectedCallback() {
    this.observer?.disconnect();
    document.removeEventListener("visibilitychange", this.onVisibility);
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    this.hangUp();
  }

  attributeChangedCallback(name, oldValue, value) {
    if (oldValue === value) return;
    if (name === "camera") {
      this.hangUp();
      this.attempt = 0;
      this.frames = 0;
    }
    if (name === "not-started" && value === null && this.state === "not_started") {
      // its box was just heard from: try now rather than at the end of the backoff
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.attempt = 0;
      this.setState("connecting");
    }
    this.sync();
  }

  /** Camera name / grid shown in the top bar. */
  set cameraInfo(info) {
    this.info = info || {};
    this.$(".name").textContent = this.info.name || this.getAttribute("camera") || "";
    this.$(".grid").textContent = this.info.grid_name || this.info.grid_code || "";
  }

  /** An alarm object (from the wall payload) or null to revert to a plain tile. */
  set alarm(a) {
    const fresh = a && a.alarm_id !== this.alarmData?.alarm_id;
    this.alarmData = a;
    this.toggleAttribute("alarm", !!a);
    if (!a) return;
    if (fresh) setTimeout(() => this.replay(), 1000); // the seconds before the alarm, once
    this.dataset.alarmId = a.alarm_id;
    this.dataset.status = a.status;
    this.$(".cat").textContent = catName(a);
    this.$(".status").textContent = t(`status.${a.status}`);
    this.$(".agrid").textContent = a.grid_name || a.grid_code || "";
    this.$(".caseno").textContent = a.case_no ? `${t("case.no")} ${a.case_no}` : "";
    this.dataset.caseNo = a.case_no || "";
    // who has it (the hub's routing or the operator's reassignment) and which deadline runs
    const who = (a.assignees || []).map((p) => p.name).join("、");
    this.$(".who").textContent = who ? `${t("case.assignees")} ${who}` : "";
    this.$(".due").textContent = a.deadline_kind ? t(`due.${a.deadline_kind}`) : "";
    const snap = this.$(".snap");
    if (a.snapshot_id) this.loadSnapshot(snap, paths.snapshot(a.snapshot_id), 0);
    else snap.removeAttribute("src");
    this.$(".boxes").innerHTML = (a.boxes || [])
      .map(({ xyxy_norm: [x0, y0, x1, y1] }) =>
        `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}"/>`)
      .join("");
    this.tick();
  }

  get alarm() {
    return this.alarmData;
  }

  loadSnapshot(img, url, n) {
    // the JPEG follows the alert on its own topic: retry briefly if it is not there yet
    img.onerror = () => n < 5 && setTimeout(() => this.loadSnapshot(img, url, n + 1), 300);
    img.src = url;
  }

  /** Play the seconds before the alarm (hub alarm clip) in the inset, once. */
  replay() {
    if (!this.alarmData) return;
    const v = this.$(".replay");
    v.src = paths.clip(this.alarmData);
    v.classList.add("on");
    v.onended = v.onerror = () => v.classList.remove("on");
    v.play().catch(() => v.classList.remove("on"));
  }

  get state() {
    return this.getAttribute("state");
  }

  setState(s) {
    if (this.getAttribute("state") === s) return;
    this.setAttribute("state", s);
    this.$(".state").textContent = s === "live" ? "" : t(`tile.${s}`);
  }

  wanted() {
    return this.hasAttribute("camera") && !this.hasAttribute("offline") && this.visible &&
      document.visibilityState !== "hidden";
  }

  sync() {
    if (!this.isConnected) return;
    if (!this.hasAttribute("camera")) {
      this.hangUp();
      this.setState("empty");
      return;
    }
    if (this.hasAttribute("offline")) {
      this.hangUp();
      this.setState("offline");
      return;
    }
    if (!this.wanted()) {
      this.hangUp(); // paused while hidden; the last frame stays
      this.setState("paused");
      return;
    }
    if (!this.session && !this.retryTimer) this.connect();
  }

  async connect() {
    const camera = this.getAttribute("camera");
    const session = new WhepSession(paths.whep(camera));
    this.session = session;
    if (this.neverStarted()) this.setState("not_started");
    else if (this.state !== "lost") this.setState("connecting");
    try {
      const stream = await session.start((s) => {
        if (s === "failed" || s === "disconnected" || s === "closed") {
          console.warn(`tile ${camera}: connection ${s}`);
          this.lost(session);
        }
      });
      if (this.session !== session) return;
      this.video.srcObject = stream;
      this.video.play().catch(() => {});
    } catch (e) {
      console.warn(`tile ${camera}: ${e}`);
      this.lost(session);
    }
  }

  lost(session) {
    if (this.session !== session) return;
    this.hangUp();
    // the video element keeps its last frame; CSS greys it. A camera whose box was never
    // heard from and that never played here is expected to have no video: "not started"
    this.setState(this.neverStarted() ? "not_started" : "lost");
    const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.sync();
    }, wait);
  }

  /** Its box was never heard from (the hub says so) and no frame ever came to this tile. */
  neverStarted() {
    return this.hasAttribute("not-started") && this.frames === 0;
  }

  hangUp() {
    this.session?.stop();
    this.session = null;
  }

  countFrames() {
    if (this.counting) return; // one callback chain per element, even if it is moved
    this.counting = true;
    const v = this.video;
    const step = () => {
      this.frames += 1;
      this.lastFrameAt = performance.now();
      if (this.session) {
        this.attempt = 0;
        this.setState("live");
      }
      v.requestVideoFrameCallback(step);
    };
    v.requestVideoFrameCallback(step);
  }

  tick() {
    const now = new Date();
    this.$(".clock").textContent = now.toLocaleTimeString("zh-CN", { hour12: false });
    if (this.session && this.state === "live" && performance.now() - this.lastFrameAt > STALL_MS) {
      this.lost(this.session);
    }
    const a = this.alarmData;
    if (a?.turnout || this.dataset.turnout) this.showTurnout(a && a.turnout); // alarm tiles only
    if (a && a.deadline_ms == null) {
      this.$(".countdown").textContent = "";
      delete this.dataset.secondsLeft;
    } else if (a) {
      // the hub's deadline (working calendar or natural minutes): the wall only counts down
      const left = Math.round((a.deadline_ms - Date.now()) / 1000);
      const el = this.$(".countdown");
      el.textContent = formatLeft(left);
      el.classList.toggle("over", left < 0);
      this.dataset.secondsLeft = String(left);
    }
  }
}

// 1+1+X: units that acknowledged of those named, and the time since the command (until the
// last acknowledgement); past the target it turns red
GwTile.prototype.showTurnout = function showTurnout(tu) {
  const el = this.$(".turnout");
  if (!tu) {
    el.textContent = "";
    delete this.dataset.turnout;
    return;
  }
  const s = Math.max(0, Math.round(((tu.complete_ms ?? Date.now()) - tu.commanded_ms) / 1000));
  el.textContent = `1+1+X ${tu.acked}/${tu.units} · ${formatLeft(s)}`;
  el.classList.toggle("over", s > tu.target_s);
  this.dataset.turnout = `${tu.acked}/${tu.units}`;
};

export function formatLeft(s) {
  const sign = s < 0 ? "-" : "";
  const v = Math.abs(s);
  const h = Math.floor(v / 3600);
  const m = Math.floor((v % 3600) / 60);
  const sec = v % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(sec).padStart(2, "0");
  return h ? `${sign}${h}:${mm}:${ss}` : `${sign}${mm}:${ss}`;
}

customElements.define("gw-tile", GwTile);

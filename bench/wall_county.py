"""The wall at county size, measured in Chromium: a hub (its own process) with a 12,000-camera
district and its video relay, 4 monitors × 16 tiles (4 browser pages, layout 16), the
operator console; optionally an alarm storm (a tenth of the cameras alarm within
``--storm-s``) while the operator confirms alarms. Prints one JSON line.

    .venv/bin/python bench/wall_county.py                      # 12,000 cameras, no storm
    .venv/bin/python bench/wall_county.py --storm-s 60         # and the full storm

Video: ``--video-cameras`` synthetic cameras (default 16) behind one edge video server in
this process, each shown on every monitor (64 tiles, 16 upstreams); the relay's settings
list all 12,000 cameras (the others at an address where nothing answers) with no
pre-event buffer, so what the relay pulls is what the wall watches (``/video/stats``).
Uses the running Mosquitto (127.0.0.1:1883) and Redis (6379) under fresh prefixes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml
from redis import Redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from county_district import SimCamera, write_district  # noqa: E402
from county_rig import free_port, wait_port  # noqa: E402
from wall_storm import (  # noqa: E402
    CLICK_CONFIRM_JS,
    PICKER_PAUSE_MS,
    PICKER_SEARCH_JS,
    Storm,
    storm_cameras,
    summary,
)

from edge.frame_tap import FrameTap  # noqa: E402
from edge.synth import SceneScript, SyntheticScene  # noqa: E402
from edge.video.server import EdgeVideoServer  # noqa: E402
from edge.video.settings import EdgeVideoSettings  # noqa: E402
from edge.video.synthetic import PacedCamera  # noqa: E402
from hub.store.keys import Keys  # noqa: E402
from tests.chromium import BASE_ARGS, CHROMIUM  # noqa: E402

MQTT_URL = "mqtt://127.0.0.1:1883"
REDIS_URL = "redis://127.0.0.1:6379/0"
COUNTY_CODE = "339901"  # the sample district's county, which bench/county_district keeps
NOWHERE = "http://127.0.0.1:9"

# Installed in each wall page before it loads: when (ms since navigation began) the layout
# was drawn with __N__ cameras, and when each tile showed its first frame.
TIMING_INIT_JS = """
window.__wc = {drawn: null, live: {}};
const __iv = setInterval(() => {
  const tiles = [...document.querySelectorAll('gw-tile[camera]')];
  if (window.__wc.drawn === null && tiles.length >= __N__) window.__wc.drawn = performance.now();
  tiles.forEach((t, i) => { if (!(i in window.__wc.live) && t.frames > 0) window.__wc.live[i] = performance.now(); });
  if (Object.keys(window.__wc.live).length >= __N__) clearInterval(__iv);
}, 20);
"""

# In a wall page: animation frames and decoded video frames per second over ``s`` seconds.
FPS_JS = """
async (s) => {
  const tiles = [...document.querySelectorAll('gw-tile[camera]')];
  const f0 = tiles.map((t) => t.frames);
  let raf = 0;
  const t0 = performance.now();
  await new Promise((done) => {
    const step = () => { raf++; performance.now() - t0 < s * 1000 ? requestAnimationFrame(step) : done(); };
    requestAnimationFrame(step);
  });
  const el = (performance.now() - t0) / 1000;
  const per = tiles.map((t, i) => (t.frames - f0[i]) / el);
  return {page_fps: raf / el, tile_fps_min: Math.min(...per), tile_fps_mean: per.reduce((a, b) => a + b, 0) / per.length};
}
"""


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class VideoSource:
    """Synthetic cameras behind one edge video server, on an event loop in a thread."""

    def __init__(self, camera_ids: list[str], fps: float, token: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tap = FrameTap()
        settings = EdgeVideoSettings(port=0, idle_stop_s=5)
        self.server = EdgeVideoServer(settings, self.tap, token)
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(30)
        self.cameras = []
        for i, cam in enumerate(camera_ids):
            scene = SyntheticScene(SceneScript.preset("street_corner"), (640, 360), fps, seed=i)
            render = lambda s=scene: s.next_frame().image  # noqa: E731
            self.cameras.append(PacedCamera(cam, render, self.tap, fps, None).start())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        for cam in self.cameras:
            cam.stop()
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


@contextlib.contextmanager
def hub_process(tmp: Path, district: Path, video_cfg: Path, token: str) -> Iterator[dict[str, Any]]:
    tag = uuid.uuid4().hex[:8]
    port = free_port()
    cfg = {
        "district_dir": str(district),
        "mqtt": {"url": MQTT_URL, "topic_prefix": f"wc-{tag}", "shared_group": f"wc{tag}"},
        "redis": {"url": REDIS_URL, "key_prefix": f"wc{tag}"},
        "http": {"host": "127.0.0.1", "port": port},
    }
    path = tmp / "hub.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWALL_")}
    env |= {
        "GRIDWALL_HUB_TOKENS": f"{token} operator",
        "GRIDWALL_VIDEO_CONFIG": str(video_cfg),
        "GRIDWALL_VIDEO_TOKEN": token,
    }
    log = (tmp / "hub.log").open("wb")
    cmd = [sys.executable, "-m", "hub", "run", "--config", str(path), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=log)
    started = time.monotonic()
    try:
        wait_port(port, proc, "hub", timeout_s=180)
        with httpx.Client(timeout=5) as c:
            while c.get(f"http://127.0.0.1:{port}/healthz").status_code != 200:
                time.sleep(0.2)
        yield {
            "url": f"http://127.0.0.1:{port}",
            "proc": psutil.Process(proc.pid),
            "prefix": f"wc{tag}",
            "topic_prefix": f"wc-{tag}",
            "start_s": time.monotonic() - started,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        r = Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(f"wc{tag}:*"))
        if keys:
            r.delete(*keys)
        r.close()


def video_config(tmp: Path, plan: dict[str, list[SimCamera]], shown: list[str], src: str) -> Path:
    cams = {c.camera_id: {"url": NOWHERE} for box in plan.values() for c in box}
    cams |= {c: {"url": src} for c in shown}
    body = {"video": {"cameras": cams, "prebuffer_cameras": [], "idle_stop_s": 10}}
    path = tmp / "video.yaml"
    path.write_text(json.dumps(body), encoding="utf-8")  # JSON is YAML: 12,000 lines fast
    return path


def cpu_of(proc: psutil.Process, seconds: float) -> float:
    """Percent of one core the process used over ``seconds`` (children included)."""
    procs = [proc, *proc.children(recursive=True)]
    before = sum(sum(p.cpu_times()[:2]) for p in procs)
    time.sleep(seconds)
    after = sum(sum(p.cpu_times()[:2]) for p in procs if p.is_running())
    return round(100 * (after - before) / seconds, 1)


def chromium_uss_mb(browser_pid: int | None) -> float | None:
    if browser_pid is None:
        return None
    try:
        root = psutil.Process(browser_pid)
    except psutil.NoSuchProcess:
        return None
    procs = [root, *root.children(recursive=True)]
    # unique set size: what each process alone holds (RSS counts shared pages in every one)
    uss = sum(int(p.memory_full_info().uss) for p in procs if p.is_running())
    return round(uss / 2**20, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--boxes", type=int, default=1000)
    ap.add_argument("--cameras-per-box", type=int, default=12)
    ap.add_argument("--monitors", type=int, default=4)
    ap.add_argument("--video-cameras", type=int, default=16)
    ap.add_argument("--fps", type=float, default=5.0, help="synthetic cameras' frame rate")
    ap.add_argument("--measure-s", type=float, default=10.0)
    ap.add_argument("--storm-s", type=float, default=0.0, help="0: no storm")
    ap.add_argument("--storm-share", type=float, default=0.1)
    args = ap.parse_args()
    out: dict[str, Any] = {
        "bench": "wall_county",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_before": load(),
    }
    token = f"wc-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="wall-county-") as tmp_name:
        tmp = Path(tmp_name)
        plan = write_district(
            REPO / "configs" / "district", tmp / "district", args.boxes, args.cameras_per_box
        )
        every = [c.camera_id for box in sorted(plan) for c in plan[box]]
        shown = every[:: max(1, len(every) // args.video_cameras)][: args.video_cameras]
        out["cameras"] = len(every)
        src = VideoSource(shown, args.fps, token)
        try:
            cfg = video_config(tmp, plan, shown, src.url)
            with hub_process(tmp, tmp / "district", cfg, token) as hub:
                out["hub_start_s"] = round(hub["start_s"], 1)
                out |= run(args, hub, token, plan, shown)
        finally:
            src.stop()
    out["load_after"] = load()
    print(json.dumps(out, ensure_ascii=False))


def run(
    args: argparse.Namespace,
    hub: dict[str, Any],
    token: str,
    plan: dict[str, list[SimCamera]],
    shown: list[str],
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    url, auth = hub["url"], {"Authorization": f"Bearer {token}"}
    res: dict[str, Any] = {"monitors": args.monitors, "tiles_per_monitor": 16}
    http = httpx.Client(base_url=url, headers=auth, timeout=30)
    rows = 2 if args.monitors > 1 else 1
    spec = {"rows": rows, "cols": -(-args.monitors // rows), "layout": "16"}
    http.put("/api/wall/walls/county", json=spec).raise_for_status()
    tiles = (shown * 16)[:16]  # every monitor shows the video cameras, repeated to 16 tiles
    scene = {"monitors": [{"layout": "16", "cameras": tiles} for _ in range(args.monitors)]}
    http.put("/api/wall/scenes/county16", json=scene).raise_for_status()
    http.post("/api/wall/walls/county/scene/county16").raise_for_status()
    res["picker_api_ms"] = summary(
        [timed(lambda q=q: http.get("/api/wall/cameras", params={"q": q})) for q in QUERIES]
    )
    res["map_api_ms"] = summary(
        [timed(lambda: http.get("/api/wall/cameras/map")) for _ in range(5)]
    )
    clusters = http.get("/api/wall/cameras/map").json()
    res["map_nodes"] = len(clusters["pins"]) + len(clusters["clusters"])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*BASE_ARGS, "--autoplay-policy=no-user-gesture-required"],
            headless=True,
        )
        browser_pid = _browser_pid()
        pages = [
            browser.new_page(viewport={"width": 1280, "height": 720}) for _ in range(args.monitors)
        ]
        loaded, starts = [], []
        for i, page in enumerate(pages):
            page.add_init_script(TIMING_INIT_JS.replace("__N__", "16"))
            page.goto(f"{url}/wall/?wall=county&monitor={i}#token={token}")
        for page in pages:
            with contextlib.suppress(Exception):  # a tile that never plays is counted below
                page.wait_for_function(
                    "() => Object.keys(window.__wc.live).length >= 16", timeout=60_000
                )
            got = page.evaluate("() => window.__wc")
            loaded.append(got["drawn"])
            starts.extend(got["live"].values())
        res["page_load_ms"] = summary([x for x in loaded if x is not None])
        res["tile_start_ms"] = summary(starts)
        res["tiles_live"] = len(starts)
        res["relay"] = http.get("/video/stats").json() | {
            "cameras_configured": len(plan) * args.cameras_per_box
        }
        res["relay"].pop("relays", None)
        res["idle"] = measure(args, pages, hub, browser_pid)
        console = browser.new_page(viewport={"width": 1600, "height": 1000})
        console.goto(f"{url}/console/?wall=county#token={token}")
        console.wait_for_function(
            "() => Number(document.querySelector('#to-wall .found')?.dataset.total) > 0",
            timeout=60_000,
        )
        found = [console.evaluate(PICKER_SEARCH_JS, q) for q in QUERIES]
        res["picker_search_ms"] = summary([x["ms"] - PICKER_PAUSE_MS for x in found if x["ms"]])
        if args.storm_s > 0:
            res["storm"] = storm(args, hub, plan, pages, console, http, browser_pid)
        browser.close()
    return res


QUERIES = ["box-0042", "B0123", "c07", "box-09", "东门", "box-0500-c01", "B07", "box-1"]


def timed(call: Any) -> float:
    t0 = time.perf_counter()
    call().raise_for_status()
    return round((time.perf_counter() - t0) * 1000, 1)


def _browser_pid() -> int | None:
    for p in psutil.Process().children(recursive=True):
        if "chrom" in p.name() and "--type=" not in " ".join(p.cmdline()):
            return int(p.pid)
    return None


def measure(
    args: argparse.Namespace, pages: list[Any], hub: dict[str, Any], pid: int | None
) -> dict[str, Any]:
    """Frame rates of the pages and tiles, memory per page, the hub's CPU and RSS."""
    heaps = []
    for page in pages:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
        heaps.append(round(m["JSHeapUsedSize"] / 2**20, 1))
        cdp.detach()
    cpu: list[float] = []
    t = threading.Thread(target=lambda: cpu.append(cpu_of(hub["proc"], args.measure_s)))
    t.start()
    fps = [page.evaluate(FPS_JS, args.measure_s / len(pages)) for page in pages]
    t.join()
    rss = chromium_uss_mb(pid)
    return {
        "page_fps": [round(f["page_fps"], 1) for f in fps],
        "tile_fps_mean": [round(f["tile_fps_mean"], 1) for f in fps],
        "tile_fps_min": [round(f["tile_fps_min"], 1) for f in fps],
        "js_heap_mb_per_page": heaps,
        "chromium_uss_mb_per_page": round(rss / len(pages), 1) if rss else None,
        "hub_cpu_pct": cpu[0] if cpu else None,
        "hub_rss_mb": round(hub["proc"].memory_info().rss / 2**20, 1),
        "load": load(),
    }


def storm(
    args: argparse.Namespace,
    hub: dict[str, Any],
    plan: dict[str, list[SimCamera]],
    pages: list[Any],
    console: Any,
    http: httpx.Client,
    pid: int | None,
) -> dict[str, Any]:
    cams = storm_cameras(plan, args.storm_share)
    s = Storm(cams, args.storm_s, MQTT_URL, hub["topic_prefix"]).start()
    clicks, searches, during = [], [], None
    n = 0
    while s.sent < len(cams):
        n += 1
        got = console.evaluate(CLICK_CONFIRM_JS)
        if got is not None:
            clicks.append(got)
        searches.append(console.evaluate(PICKER_SEARCH_JS, f"box-{n:04d}"))
        if during is None and s.sent > len(cams) / 3:
            during = measure(args, pages, hub, pid)  # the wall's pages in the thick of it
        time.sleep(1.0)
    s.join(60)
    keys = Keys.for_district(hub["prefix"], COUNTY_CODE)
    r = Redis.from_url(REDIS_URL)
    names = [keys.alarm(f"{c.camera_id}:{c.zone_id}:{c.categories[0]}") for c in cams]
    deadline = time.monotonic() + 120
    while True:
        pipe = r.pipeline(transaction=False)
        for name in names:
            pipe.exists(name)
        in_redis = sum(pipe.execute())
        if in_redis >= len(names) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    all_in = time.monotonic() - s.started
    waiting = int(r.zcard(keys.vqueue))
    r.close()
    confirmed = sum(1 for x in clicks if x["case_no"])
    wall_total = 0
    while time.monotonic() < deadline:
        wall_total = int(http.get("/api/wall/alarms", params={"limit": 1}).headers["X-Total-Count"])
        if wall_total >= waiting + confirmed:
            break
        time.sleep(0.5)
    on_wall = time.monotonic() - s.started
    state = http.get("/api/wall/walls/county").json()
    tiles = sum(
        1 for m in state["state"]["monitors"] for t in m["tiles"] if t and t["kind"] == "alarm"
    )
    return {
        "alarms": len(cams),
        "published_s": round(s.finished - s.started, 1),
        "in_redis": in_redis,
        "all_in_redis_s": round(all_in, 1),
        "on_wall": wall_total,
        "all_on_wall_s": round(on_wall, 1),
        "alarm_tiles": tiles,
        "queue_total": state["queue_total"],
        "click_answered_ms": summary(
            [x["answered_ms"] for x in clicks if x["answered_ms"] is not None]
        ),
        "click_gone_from_list_ms": summary(
            [x["listed_ms"] for x in clicks if x["listed_ms"] is not None]
        ),
        "clicks": len(clicks),
        "picker_search_ms": summary([x["ms"] - PICKER_PAUSE_MS for x in searches if x["ms"]]),
        "pages_during": during,
    }


if __name__ == "__main__":
    main()

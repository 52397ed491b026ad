"""Load on the hub's video relay: CPU per camera, CPU per extra viewer, and the most
cameras × viewers this machine carries before frames drop.

Viewers are tiles of one headless Chromium page (as on a wall screen), each a WHEP session
on the ``sub`` rendition (320×180 VP8). The relay runs in its own process (python -m
hub.video); its CPU is read from /proc via psutil over each measuring window. A tile "drops
frames" when it decodes less than 90% of what its relay receives from the box (so a box slowed by
the machine's load is not counted against the relay).
Usage: .venv/bin/python bench/video_load.py [--fps 10] [--window 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import psutil
from playwright.async_api import Page, async_playwright
from video_rig import CHROMIUM_ARGS, TOKEN, Bench, video_bench

PAGE_JS = """
window.tiles = [];
window.play = async (url, token) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', {direction: 'recvonly'});
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; video.width = 160; document.body.appendChild(video);
  pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === 'complete') return done();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && done());
  });
  const res = await fetch(url, {method: 'POST', body: pc.localDescription.sdp,
    headers: {'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + token}});
  if (res.status !== 201) throw new Error('WHEP ' + res.status + ' ' + await res.text());
  const location = res.headers.get('Location');
  await pc.setRemoteDescription({type: 'answer', sdp: await res.text()});
  window.tiles.push({pc, video, location});
};
window.decoded = async () => Promise.all(window.tiles.map(async (t) => {
  let n = 0;
  (await t.pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0;
  });
  return n;
}));
window.closeAll = async (token) => {
  for (const t of window.tiles) {
    await fetch(t.location, {method: 'DELETE', headers: {Authorization: 'Bearer ' + token}});
    t.pc.close(); t.video.remove();
  }
  window.tiles = [];
};
"""


async def measure(page: Page, hub: psutil.Process, window_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + 15  # every tile past its first keyframe, then 2 s more
    while True:
        if min(await page.evaluate("decoded()"), default=1) > 0 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    await asyncio.sleep(2.0)
    before = await page.evaluate("decoded()")
    src0 = await relay_packets(page)
    cpu0, t0 = hub.cpu_times(), time.monotonic()
    await asyncio.sleep(window_s)
    after = await page.evaluate("decoded()")
    src1 = await relay_packets(page)
    cpu1, t1 = hub.cpu_times(), time.monotonic()
    source = [(src1[k] - src0.get(k, 0)) / (t1 - t0) for k in src1 if src1[k] > src0.get(k, 0)]
    busy = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    fps = [(a - b) / (t1 - t0) for a, b in zip(after, before, strict=True)]
    return {
        "tiles": len(fps),
        "hub_cpu_pct": round(100 * busy / (t1 - t0), 1),
        "min_tile_fps": round(min(fps), 2),
        "mean_tile_fps": round(sum(fps) / len(fps), 2),
        "min_source_fps": round(min(source, default=0.0), 2),  # packets into the relay
    }


async def relay_packets(page: Page) -> dict[str, int]:
    """Packets received so far by each running ``sub`` relay (the rate the box delivers)."""
    stats = await page.evaluate(f"fetch('/video/stats?access_token={TOKEN}').then(r => r.json())")
    return {
        r["camera_id"]: r["packets_in"]
        for r in stats["relays"]
        if r["rendition"] == "sub" and r["running"]
    }


async def layout(page: Page, bench: Bench, per_camera: list[int]) -> None:
    await page.evaluate("(t) => closeAll(t)", TOKEN)
    for cam, tiles in enumerate(per_camera):
        for _ in range(tiles):
            await page.evaluate(
                "([u, t]) => play(u, t)", [bench.whep(f"cam-{cam:02d}", "sub"), TOKEN]
            )


def slope(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fps", type=float, default=10)
    parser.add_argument("--window", type=float, default=4)
    parser.add_argument("--cameras", type=int, default=4)
    args = parser.parse_args()
    started = time.monotonic()
    out: dict[str, Any] = {"bench": "video_load", "fps": args.fps, "rendition": "320x180 vp8"}
    async with (
        video_bench(args.cameras, args.fps, prerendered=30) as bench,
        async_playwright() as pw,
    ):
        hub = psutil.Process(bench.hub_pid)
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page()
        await page.goto(f"{bench.hub_url}/video/stats?access_token={TOKEN}")
        await page.evaluate(PAGE_JS)

        idle = await measure_idle(hub, args.window)
        cams = [c for c in (1, 2, 4) if c <= args.cameras]
        by_cams = []
        for n in cams:
            await layout(page, bench, [1] * n)
            by_cams.append(await measure(page, hub, args.window))
            print("cameras", n, by_cams[-1], flush=True)
        views = [1, 4, 8, 16]
        by_views = []
        for v in views:
            await layout(page, bench, [v])
            by_views.append(await measure(page, hub, args.window))
            print("viewers", v, by_views[-1], flush=True)
        carried, first_drop = None, None
        for per_cam in (2, 4, 8, 12, 16, 24):
            if time.monotonic() - started > 100:  # keep the whole run near 3 minutes
                break
            await layout(page, bench, [per_cam] * args.cameras)
            m = await measure(page, hub, args.window)
            print(
                "wall", args.cameras, "x", per_cam, m, round(time.monotonic() - started), flush=True
            )
            # frames dropped by the relay or the viewers, not by a box that could not keep up
            if m["min_tile_fps"] < 0.9 * m["min_source_fps"]:
                first_drop = {"cameras": args.cameras, "viewers_per_camera": per_cam, **m}
                break
            carried = {"cameras": args.cameras, "viewers_per_camera": per_cam, **m}
        stats = await page.evaluate(
            f"fetch('/video/stats?access_token={TOKEN}').then(r => r.json())"
        )
        await browser.close()
    out |= {
        "hub_cpu_idle_pct": idle,
        "hub_cpu_pct_per_camera": round(
            slope([float(c) for c in cams], [m["hub_cpu_pct"] for m in by_cams]), 2
        ),
        "hub_cpu_pct_per_extra_viewer": round(
            slope([float(v) for v in views], [m["hub_cpu_pct"] for m in by_views]), 2
        ),
        "by_cameras": by_cams,
        "by_viewers": by_views,
        "most_carried": carried,
        "first_drop": first_drop,
        "hub_encoders": stats["encoders"],
        # a pass-through stream (the camera's own H.264) has no encoder to count
        "edge_encoder_starts": [
            getattr(s, "encoder_starts", 0) for s in bench.edge._streams.values()
        ],
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(out))


async def measure_idle(hub: psutil.Process, window_s: float) -> float:
    cpu0, t0 = hub.cpu_times(), time.monotonic()
    await asyncio.sleep(window_s)
    cpu1, t1 = hub.cpu_times(), time.monotonic()
    busy: float = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    return round(100 * busy / (t1 - t0), 1)


if __name__ == "__main__":
    asyncio.run(main())

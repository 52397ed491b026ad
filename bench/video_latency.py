"""Glass-to-glass latency of the live video path, camera → box encoder → hub relay → viewer.

The synthetic camera stamps its capture time (epoch ms) into each picture; the viewer reads
it back from the decoded picture: an aiortc viewer at decode, then headless Chromium at the
frame's expected display time (requestVideoFrameCallback). Prints p50/p99 per viewer kind.
Usage: .venv/bin/python bench/video_latency.py [--seconds 15] [--fps 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx
import numpy as np
import numpy.typing as npt
from video_rig import CHROMIUM_ARGS, TOKEN, percentile, video_bench

from edge.video.stamp import read_stamp
from hub.video.whep_client import WhepViewer

# Reads the 2 × 16 blocks of edge/video/stamp.py (20 px each at 640 wide) off a canvas.
PAGE_JS = """async ([url, token, seconds]) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', {direction: 'recvonly'});
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; document.body.appendChild(video);
  pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === 'complete') return done();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && done());
  });
  const res = await fetch(url, {method: 'POST', body: pc.localDescription.sdp,
    headers: {'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + token}});
  await pc.setRemoteDescription({type: 'answer', sdp: await res.text()});
  const canvas = document.createElement('canvas'); canvas.width = 640; canvas.height = 360;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const samples = [];
  const onFrame = (now, meta) => {
    ctx.drawImage(video, 0, 0, 640, 360);
    const px = ctx.getImageData(0, 0, 320, 40).data;
    let value = 0;
    for (let bit = 0; bit < 32; bit++) {
      const row = Math.floor(bit / 16), col = bit % 16;
      const i = ((row * 20 + 10) * 320 + (col * 20 + 10)) * 4;
      value = value * 2 + ((px[i] + px[i + 1] + px[i + 2]) / 3 > 127 ? 1 : 0);
    }
    const shown = performance.timeOrigin + meta.expectedDisplayTime;
    const high = Math.floor(shown / 4294967296) * 4294967296;
    let stamped = high + value;
    if (stamped - shown > 2147483648) stamped -= 4294967296;
    samples.push(shown - stamped);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  await new Promise((done) => setTimeout(done, seconds * 1000));
  pc.close();
  return samples;
}"""


async def aiortc_latency(url: str, seconds: float) -> list[float]:
    samples: list[float] = []

    def on_frame(image: npt.NDArray[np.uint8], _: float) -> None:
        now_ms = time.time_ns() / 1e6
        samples.append(now_ms - read_stamp(image, 640, int(now_ms)))

    viewer = WhepViewer(url, TOKEN, on_frame)
    async with httpx.AsyncClient(timeout=10) as client:
        await viewer.start(client)
        await viewer.wait_frames(10, timeout_s=20)
        samples.clear()  # the first frames include connection set-up
        await asyncio.sleep(seconds)
        await viewer.close(client)
    return samples


async def chromium_latency(url: str, seconds: float, fps: float) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            origin = url.split("/video/")[0]
            await page.goto(f"{origin}/video/stats?access_token={TOKEN}")  # same origin for fetch
            samples: list[float] = await page.evaluate(PAGE_JS, [url, TOKEN, seconds + 2])
        finally:
            await browser.close()
    return samples[-int(seconds * fps) :]  # the last ``seconds``: start-up excluded


def summary(samples: list[float]) -> dict[str, float]:
    plausible = [s for s in samples if -50 < s < 10_000]  # a misread stamp is not a latency
    return {
        "frames": len(samples),
        "misread": len(samples) - len(plausible),
        "p50_ms": round(percentile(plausible, 50), 1),
        "p99_ms": round(percentile(plausible, 99), 1),
        "max_ms": round(max(plausible, default=float("nan")), 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--fps", type=float, default=15)
    args = parser.parse_args()
    async with video_bench(1, args.fps, stamp_time=True, prerendered=30) as bench:
        url = bench.whep("cam-00", "main")
        camera = bench.cameras[0]
        n0, t0 = camera.frames_published, time.monotonic()
        a = summary(await aiortc_latency(url, args.seconds))
        a["viewer_fps"] = round(a["frames"] / args.seconds, 1)
        print("aiortc viewer", a, flush=True)
        c = summary(await chromium_latency(url, args.seconds, args.fps))
        c["viewer_fps"] = round(c["frames"] / args.seconds, 1)
        print("chromium viewer", c, flush=True)
        camera_fps = (camera.frames_published - n0) / (time.monotonic() - t0)
    print(
        json.dumps(
            {
                "bench": "video_latency",
                "fps": args.fps,
                "resolution": "640x360",
                "codec": "vp8",
                "camera_fps": round(camera_fps, 1),
                "aiortc": a,
                "chromium": c,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

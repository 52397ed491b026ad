"""Shared set-up of the video benchmarks: synthetic cameras and the box's video server in this
process, the hub's relay (``python -m hub.video``) in a child process of its own, so its CPU
can be measured apart from the cameras, encoders and viewers."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge.frame_tap import FrameTap  # noqa: E402
from edge.synth import SceneScript, SyntheticScene  # noqa: E402
from edge.video.server import EdgeVideoServer  # noqa: E402
from edge.video.settings import EdgeVideoSettings, Rendition  # noqa: E402
from edge.video.stamp import stamp  # noqa: E402
from edge.video.synthetic import PacedCamera  # noqa: E402

TOKEN = "bench-video-token"

CHROMIUM_ARGS = [  # headless Debian Chromium on a closed network, WebRTC on loopback
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]


@dataclass
class Bench:
    hub_url: str
    hub_pid: int
    edge: EdgeVideoServer
    cameras: list[PacedCamera]

    def whep(self, camera_id: str, rendition: str) -> str:
        return f"{self.hub_url}/video/{camera_id}/whep?rendition={rendition}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def video_bench(
    n_cameras: int,
    fps: float,
    stamp_time: bool = False,
    prebuffer: bool = False,
    prerendered: int = 0,
) -> AsyncIterator[Bench]:
    """``prerendered`` > 0 loops that many rendered frames per camera (rendering costs the
    benchmark ~11 ms a frame, which would otherwise crowd out what is being measured)."""
    tap = FrameTap()
    renditions = {
        "main": Rendition(width=640, height=360, fps=fps, bitrate_bps=800_000),
        "sub": Rendition(width=320, height=180, fps=fps, bitrate_bps=250_000),
    }
    edge = EdgeVideoServer(EdgeVideoSettings(port=0, renditions=renditions), tap, TOKEN)
    await edge.start()
    cameras = []
    for i in range(n_cameras):
        scene = SyntheticScene(SceneScript.preset("street_corner"), (640, 360), fps, seed=i)
        render = lambda s=scene: s.next_frame().image  # noqa: E731
        if prerendered:
            frames = itertools.cycle([scene.next_frame().image for _ in range(prerendered)])
            render = lambda f=frames: next(f).copy()  # noqa: E731
        cam = PacedCamera(f"cam-{i:02d}", render, tap, fps, stamp if stamp_time else None)
        cameras.append(cam.start())
    config = {
        "video": {
            "cameras": {c.camera_id: {"url": f"http://127.0.0.1:{edge.port}"} for c in cameras},
            "prebuffer_rendition": "main" if prebuffer else None,
            "idle_stop_s": 30,
            "max_viewers": 2000,
        }
    }
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video.yaml"
        path.write_text(yaml.safe_dump(config))
        env = {**os.environ, "GRIDWALL_VIDEO_CONFIG": str(path), "GRIDWALL_VIDEO_TOKEN": TOKEN}
        hub = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub.video", "--port", str(port), env=env, cwd=REPO
        )
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient() as client:
                deadline = time.monotonic() + 20
                while True:
                    with contextlib.suppress(httpx.HTTPError):
                        r = await client.get(f"{url}/video/stats", headers=auth())
                        if r.status_code == 200:
                            break
                    if time.monotonic() > deadline or hub.returncode is not None:
                        raise RuntimeError("the relay process did not come up")
                    await asyncio.sleep(0.1)
            yield Bench(url, hub.pid, edge, cameras)
        finally:
            hub.terminate()
            await asyncio.wait_for(hub.wait(), timeout=10)
            await edge.stop()
            for cam in cameras:
                await asyncio.to_thread(cam.stop)


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]

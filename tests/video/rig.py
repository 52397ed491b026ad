"""The video rig for tests: synthetic camera → edge video server → hub relay over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from edge.frame_tap import FrameTap
from edge.synth import SceneScript, SyntheticScene
from edge.video.server import EdgeVideoServer
from edge.video.settings import EdgeVideoSettings
from edge.video.stamp import stamp
from edge.video.synthetic import PacedCamera
from hub.video.registry import VideoRegistry
from hub.video.routes import bearer_token_auth, video_router
from hub.video.settings import CameraVideo, VideoSettings

TOKEN = "test-video-token"


@dataclass
class Rig:
    hub_url: str
    edge: EdgeVideoServer
    registry: VideoRegistry
    cameras: list[PacedCamera]
    tap: FrameTap

    def whep(self, camera_id: str, rendition: str) -> str:
        return f"{self.hub_url}/video/{camera_id}/whep?rendition={rendition}"


async def wait_until(check: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll ``check`` until truthy; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def video_rig(
    camera_ids: tuple[str, ...] = ("cam-01",),
    fps: float = 10.0,
    edge_settings: EdgeVideoSettings | None = None,
    stamp_time: bool = False,
    page_html: str | None = None,
    extra_cameras: dict[str, str] | None = None,
    **hub_overrides: object,
) -> AsyncIterator[Rig]:
    """``extra_cameras``: more cameras for the hub's settings (id → URL) that have no
    synthetic camera behind them (a county's worth that nobody watches)."""
    tap = FrameTap()
    edge = EdgeVideoServer(edge_settings or EdgeVideoSettings(port=0, idle_stop_s=0.5), tap, TOKEN)
    await edge.start()
    cameras = []
    for i, camera_id in enumerate(camera_ids):
        scene = SyntheticScene(SceneScript.preset("street_corner"), (640, 360), fps, seed=i)
        render = lambda s=scene: s.next_frame().image  # noqa: E731
        cameras.append(
            PacedCamera(camera_id, render, tap, fps, stamp if stamp_time else None).start()
        )
    fields: dict[str, object] = {
        "cameras": {c: CameraVideo(url=f"http://127.0.0.1:{edge.port}") for c in camera_ids}
        | {c: CameraVideo(url=url) for c, url in (extra_cameras or {}).items()},
        "idle_stop_s": 0.5,
        **hub_overrides,
    }
    settings = VideoSettings.model_validate(fields)
    registry = VideoRegistry(settings, edge_token=TOKEN)
    app = FastAPI()
    app.include_router(video_router(registry, bearer_token_auth(TOKEN)))
    if page_html is not None:  # a test page served from the hub's origin
        html = page_html
        app.add_api_route("/test-page", lambda: HTMLResponse(html), methods=["GET"])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, 10, "uvicorn started")
    await registry.start()
    rig = Rig(f"http://127.0.0.1:{port}", edge, registry, cameras, tap)
    try:
        yield rig
    finally:
        await registry.stop()
        server.should_exit = True
        await serving
        await rig.edge.stop()  # the one running now: a test may have replaced it
        for camera in cameras:
            await asyncio.to_thread(camera.stop)

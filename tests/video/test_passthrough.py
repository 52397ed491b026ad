"""A camera that already speaks H.264 is pulled by the hub and passed through, not re-encoded."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.async_api import async_playwright

from edge.synth import SceneScript, SyntheticScene
from hub.video.registry import VideoRegistry
from hub.video.routes import bearer_token_auth, video_router
from hub.video.settings import VideoSettings
from hub.video.whep_client import WhepViewer
from tests.video.browser import ARGS, CHROMIUM, PAGE
from tests.video.rig import TOKEN, free_port, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
FRAMES = 120  # 12 s at 10 fps


def write_h264_file(path: Path) -> None:
    scene = SyntheticScene(SceneScript.preset("construction_site"), (640, 360), 10, seed=3)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": "10", "bf": "0"}
        stream.time_base = fractions.Fraction(1, 10)
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(scene.next_frame().image, format="bgr24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


@contextlib.asynccontextmanager
async def file_camera_hub(
    tmp_path: Path, page_html: str | None = None
) -> AsyncIterator[tuple[str, VideoRegistry]]:
    video = tmp_path / "camera.mp4"
    write_h264_file(video)
    settings = VideoSettings.model_validate(
        {
            "cameras": {"cam-h264": {"url": f"file:{video}"}},
            "renditions": ["main"],
            "prebuffer_rendition": None,
        }
    )
    registry = VideoRegistry(settings)
    app = FastAPI()
    app.include_router(video_router(registry, bearer_token_auth(TOKEN)))
    if page_html is not None:
        html = page_html
        app.add_api_route("/test-page", lambda: HTMLResponse(html), methods=["GET"])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, 10, "uvicorn started")
    try:
        yield f"http://127.0.0.1:{port}", registry
    finally:
        await registry.stop()
        server.should_exit = True
        await serving


async def test_h264_camera_passes_through_to_a_viewer(tmp_path: Path) -> None:
    async with (
        file_camera_hub(tmp_path) as (url, registry),
        httpx.AsyncClient(timeout=10) as client,
    ):
        viewer = WhepViewer(f"{url}/video/cam-h264/whep", TOKEN)
        await viewer.start(client)
        await viewer.wait_frames(20, timeout_s=20)
        assert viewer.resolution_wh == (640, 360)
        relay = registry.relay("cam-h264", "main")
        assert relay.info is not None and relay.info.codec == "h264"
        session = next(iter(registry.sessions.values()))
        answer = session.pc.localDescription.sdp
        assert "H264/90000" in answer and "VP8/90000" not in answer
        # the relay forwards the file's own packets: one per picture, keyframes where x264 put them
        assert relay.packets_in <= FRAMES
        assert relay.last_gop and relay.last_gop[0].keyframe
        await viewer.close(client)


async def test_chromium_plays_the_passed_through_h264(tmp_path: Path) -> None:
    async with file_camera_hub(tmp_path, PAGE) as (url, registry), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page()
            await page.goto(f"{url}/test-page")
            tile = await page.evaluate("([c, r, t]) => play(c, r, t)", ["cam-h264", "main", TOKEN])
            got: dict[str, Any] = {}
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                got = await page.evaluate("(i) => stats(i)", tile)
                if got.get("framesDecoded", 0) >= 30:
                    break
                await asyncio.sleep(0.25)
            assert got.get("framesDecoded", 0) >= 30, got
            assert (got["frameWidth"], got["frameHeight"]) == (640, 360)
            assert "video/H264" in got["codecs"] and "video/VP8" not in got["codecs"], got
            relay = registry.relay("cam-h264", "main")
            assert relay.info is not None and relay.info.codec == "h264"
        finally:
            await browser.close()

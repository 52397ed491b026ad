"""A camera that already speaks H.264 is pulled by the hub and passed through, not re-encoded."""

from __future__ import annotations

import asyncio
import fractions
from pathlib import Path

import av
import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from edge.synth import SceneScript, SyntheticScene
from hub.video.registry import VideoRegistry
from hub.video.routes import bearer_token_auth, video_router
from hub.video.settings import VideoSettings
from hub.video.whep_client import WhepViewer
from tests.video.rig import TOKEN, free_port, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
FRAMES = 60  # 6 s at 10 fps


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


async def test_h264_camera_passes_through_to_a_viewer(tmp_path: Path) -> None:
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
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, 10, "uvicorn started")
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            viewer = WhepViewer(f"http://127.0.0.1:{port}/video/cam-h264/whep", TOKEN)
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
    finally:
        await registry.stop()
        server.should_exit = True
        await serving

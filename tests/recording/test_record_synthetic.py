"""A synthetic camera recorded from the box's own H.264 rendition: the recorder is one more
client of the rendition's single encoder, so a viewer watching at the same time gets the
very pictures that are recorded (same bytes) and the box runs one encoder, not two."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av

from edge.frame_tap import FrameTap
from edge.recording.feeds import RenditionFeed
from edge.recording.recorder import Recorder
from edge.recording.settings import RecordingSettings
from edge.synth import SceneScript, SyntheticScene
from edge.video.encoder import live_encoders
from edge.video.service import VideoService
from edge.video.settings import EdgeVideoSettings, Rendition
from edge.video.synthetic import PacedCamera
from hub.video.upstream import EdgeUpstream
from tests.rtsp.test_rtsp_recording import avcc_vcl_units
from tests.rtsp.test_rtsp_video import vcl_units

CAM = "cam-synth"
TOKEN = "box-token-synthetic-rec"


async def test_synthetic_camera_recorded_from_the_shared_encoder(tmp_path: Path) -> None:
    tap = FrameTap()
    main = Rendition(width=320, height=180, fps=10, bitrate_bps=200_000)
    video = VideoService(
        EdgeVideoSettings(port=0, codec="h264", renditions={"main": main}, idle_stop_s=0.2),
        tap,
        TOKEN,
    ).start()
    scene = SyntheticScene(SceneScript.preset("street_corner"), (320, 180), 10, seed=2)
    camera = PacedCamera(CAM, lambda: scene.next_frame().image, tap, 10).start()
    settings = RecordingSettings(path=tmp_path / "rec", segment_s=2, max_age_h=1)
    feed = RenditionFeed(video.server, video.loop, CAM, "main")
    recorder = Recorder(settings, {CAM: feed}).start()
    viewer = EdgeUpstream(f"http://127.0.0.1:{video.server.port}", CAM, "main", TOKEN)
    watched: list[bytes] = []
    try:
        await viewer.open()
        async for packet in viewer.packets():
            watched += vcl_units(packet.data)
            assert video.server.encoders_running == 1 and live_encoders() == 1
            if len(watched) >= 12:
                break
        await viewer.close()
        await asyncio.sleep(0.4)  # past the idle stop: the recorder keeps the encoder going
        assert video.server.encoders_running == 1
    finally:
        recorder.cameras[CAM].stop()
        camera.stop()
        video.stop()
    cam = recorder.cameras[CAM]
    segments = recorder.index.segments(CAM)
    recorder.stop()
    assert cam.errors == 0 and cam.codecs_opened == 0, cam.last_error
    recorded: list[bytes] = []
    for seg in segments:
        with av.open(str(settings.path / seg.path)) as container:
            stream = container.streams.video[0]
            assert (stream.width, stream.height) == (320, 180)
            for p in container.demux(stream):
                recorded += avcc_vcl_units(bytes(p))
    assert len(recorded) >= 12
    same = set(recorded)
    # what the viewer got while both were attached is in the recording, byte for byte
    shared = [u for u in watched if u in same]
    assert len(shared) >= len(watched) - 2, f"{len(shared)} of {len(watched)} pictures shared"

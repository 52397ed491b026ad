"""A real RTSP camera recorded by the box: the GStreamer server's H.264 → RTSP source →
PacketTap → recorder → MP4 segments. The segments open with PyAV, their pictures are the
camera's own bytes (a re-encode matches none) and no codec was opened on the way. An H.265
camera beside it is recorded from the box's H.264 rendition."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import av

from edge.capture import CaptureWorker
from edge.frame_tap import FrameTap
from edge.packet_tap import PacketTap
from edge.recording.feeds import RenditionFeed, RtspFeed, TapFeed
from edge.recording.recorder import Recorder
from edge.recording.settings import RecordingSettings
from edge.sources.rtsp import RtspSource
from edge.video.service import VideoService
from edge.video.settings import EdgeVideoSettings
from tests.rtsp.server import RtspServer
from tests.rtsp.test_rtsp_video import VCL_H264, assert_passed_through, vcl_units


def avcc_vcl_units(data: bytes) -> list[bytes]:
    """The slice NAL units of an MP4 sample (4-byte big-endian lengths)."""
    units, i = [], 0
    while i + 4 <= len(data):
        n = int.from_bytes(data[i : i + 4], "big")
        unit = data[i + 4 : i + 4 + n]
        if unit and unit[0] & 0x1F in VCL_H264:
            units.append(unit.rstrip(b"\x00"))
        i += 4 + n
    return units


def test_rtsp_h264_recorded_into_segments_without_a_reencode(
    rtsp: RtspServer, clips: dict[str, Path], tmp_path: Path
) -> None:
    """And beside it an H.265 camera (whose packets browsers cannot be counted on to play):
    recorded from the box's H.264 rendition once its source says it is H.265."""
    packets, frames = PacketTap(), FrameTap()
    source = RtspSource(rtsp.url("/h264"), timeout_s=5, packets=(packets, "cam-rtsp"))
    capture = CaptureWorker("cam-rtsp", source, None, frames, offline_after_s=5, reconnect_max_s=1)
    hevc = RtspSource(rtsp.url("/h265"), timeout_s=5, packets=(packets, "cam-h265"))
    hevc_capture = CaptureWorker(
        "cam-h265", hevc, None, frames, offline_after_s=5, reconnect_max_s=1
    )
    video = VideoService(EdgeVideoSettings(port=0, codec="h264"), frames, "t").start()
    settings = RecordingSettings(path=tmp_path / "rec", segment_s=2, max_age_h=1)
    hevc_feed = RtspFeed(
        packets, "cam-h265", lambda: RenditionFeed(video.server, video.loop, "cam-h265", "main")
    )
    recorder = Recorder(
        settings, {"cam-rtsp": TapFeed(packets, "cam-rtsp"), "cam-h265": hevc_feed}
    ).start()
    capture.start()
    hevc_capture.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
            len(recorder.index.segments("cam-rtsp")) < 2
            or len(recorder.index.segments("cam-h265")) < 1
        ):
            time.sleep(0.1)
    finally:
        capture.stop()
        hevc_capture.stop()
        for cam in recorder.cameras.values():
            cam.stop()
        video.stop()
    segments = recorder.index.segments("cam-rtsp")
    hevc_segments = recorder.index.segments("cam-h265")
    cam = recorder.cameras["cam-rtsp"]
    recorder.stop()
    assert len(segments) >= 2, f"{len(segments)} segments in 20 s"
    assert cam.errors == 0, cam.last_error
    assert cam.codecs_opened == 0
    recorded: list[bytes] = []
    for seg in segments:
        info = seg.info
        assert not info.open and info.end_ms > info.start_ms and info.size_bytes > 0
        with av.open(str(settings.path / seg.path)) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 640, 360)
            samples = [p for p in container.demux(stream) if p.size]
            assert samples[0].is_keyframe, f"segment {seg.path} does not start at a keyframe"
            recorded += [u for p in samples for u in avcc_vcl_units(bytes(p))]
        with av.open(str(settings.path / seg.path)) as container:
            pictures = sum(1 for _ in container.decode(video=0))
        assert pictures == len(samples)  # every sample decodes to its picture
    # segments follow each other: each starts where the previous one ended (a frame or so)
    for a, b in itertools.pairwise(segments):
        assert 0 <= b.info.start_ms - a.info.end_ms < 1000, (a.info, b.info)
    clip_units = set(vcl_units(clips["h264"].read_bytes()))
    assert_passed_through(recorded, clip_units)
    # the H.265 camera: switched to the box's H.264, its segment plays as H.264
    assert hevc_feed.switched and hevc_segments
    with av.open(str(settings.path / hevc_segments[0].path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) >= 3

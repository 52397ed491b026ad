"""The edge's RTSP source against a real RTSP server: both codecs, both transports, and the
errors a camera can give, each named."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from edge.sources.base import SourceError
from edge.sources.rtsp import RtspSource, redact
from tests.rtsp.clips import render, write_clip
from tests.rtsp.conftest import FPS, WH
from tests.rtsp.server import MountSpec, RtspServer, free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


# the other two pairs (H.264/TCP, H.265/UDP) run in test_rtsp_detect.py with the whole agent
@pytest.mark.parametrize(("codec", "transport"), [("h264", "udp"), ("h265", "tcp")])
def test_reads_both_codecs_over_both_transports(
    rtsp: RtspServer, codec: str, transport: str
) -> None:
    source = RtspSource(rtsp.url(f"/{codec}"), transport=transport, timeout_s=5)
    started = time.monotonic()
    source.open()
    try:
        frames = [source.read() for _ in range(FPS + 1)]
    finally:
        source.close()
    took_s = time.monotonic() - started
    assert source.codec == {"h264": "h264", "h265": "hevc"}[codec]
    assert all(f.image.shape == (WH[1], WH[0], 3) for f in frames)
    assert [f.index for f in frames] == list(range(FPS + 1))
    assert source.decode_errors == 0
    # paced by the server, not read as fast as a file: 6 pictures at 5 fps span 1 s
    assert took_s >= 0.9, took_s
    print(f"\n{codec}/{transport}: open + {len(frames)} frames in {took_s:.2f} s")


def test_errors_name_the_camera_and_hide_its_password(rtsp: RtspServer) -> None:
    missing = RtspSource(rtsp.url("/nope").replace("rtsp://", "rtsp://admin:s3cret@"))
    with pytest.raises(SourceError, match=r"cannot open rtsp://\*\*\*@127\.0\.0\.1:\d+/nope.*404"):
        missing.open()
    refused = RtspSource(f"rtsp://127.0.0.1:{free_port()}/cam", timeout_s=2)
    with pytest.raises(SourceError, match="ConnectionRefused"):
        refused.open()
    assert redact("rtsp://a:b@10.0.0.5:554/s1") == "rtsp://***@10.0.0.5:554/s1"
    assert redact("rtsp://10.0.0.5/s1") == "rtsp://10.0.0.5/s1"
    with pytest.raises(ValueError, match="transport must be tcp or udp"):
        RtspSource("rtsp://10.0.0.5/s1", transport="http")


def test_a_camera_joined_in_the_middle_of_a_gop_is_not_taken_for_garbage(
    tmp_path: Path,
) -> None:
    """The stream starts 1 picture after a keyframe, with a keyframe every 2 s: FFmpeg skips
    the 9 pictures it cannot decode yet without an error (no garbage, nothing smeared
    handed on), and the first picture is the keyframe's."""
    units = write_clip(
        tmp_path / "full.h264",
        "h264",
        render(resolution_wh=(320, 180), fps=5, seconds=4.0),
        fps=5,
        keyframe_every=10,
    )
    # the parameter sets of the first keyframe without its picture, then the P pictures
    nals = units[0].split(b"\x00\x00\x01")
    headers = b"\x00\x00\x01".join(n for n in nals if not n or n[0] & 0x1F != 5)
    clip = tmp_path / "mid-gop.h264"
    clip.write_bytes(headers + b"".join(units[1:]))
    server = RtspServer([MountSpec("/mid", clip, "h264", 5)]).start()
    source = RtspSource(server.url("/mid"), timeout_s=3.0)
    try:
        opened_ms = time.time_ns() // 1_000_000
        source.open()
        frames = [source.read() for _ in range(8)]
    finally:
        source.close()
        server.stop()
    # the keyframe is due 1.8 s into the session; smeared pictures would come from the start
    assert frames[0].captured_ms - opened_ms >= 1400, "pictures before the keyframe came out"
    assert all(f.image.shape == (180, 320, 3) for f in frames)

"""Clips rendered once per session and the RTSP server that serves them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rtsp.clips import write_clip
from tests.rtsp.server import MountSpec, RtspServer, require_gst

FPS = 5
WH = (640, 360)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Street-scene clips: 3 s per codec at 640x360, and one that switches to 960x540."""
    require_gst()
    folder = tmp_path_factory.mktemp("clips")
    out: dict[str, Path] = {}
    for codec in ("h264", "h265"):
        out[codec] = folder / f"street.{codec}"
        write_clip(out[codec], codec, resolution_wh=WH, fps=FPS, seconds=3.0)
    big = folder / "big.h264"
    write_clip(big, "h264", resolution_wh=(960, 540), fps=FPS, seconds=2.0, seed=4)
    out["resize"] = folder / "resize.h264"
    out["resize"].write_bytes(out["h264"].read_bytes() + big.read_bytes())
    return out


def street_mounts(clips: dict[str, Path]) -> list[MountSpec]:
    """/h264, /h265 and /resize (3 s at 640x360, then 2 s at 960x540), all looping."""
    return [
        MountSpec("/h264", clips["h264"], "h264", FPS),
        MountSpec("/h265", clips["h265"], "h265", FPS),
        MountSpec("/resize", clips["resize"], "h264", FPS),
    ]


@pytest.fixture(scope="module")
def rtsp(clips: dict[str, Path]) -> Iterator[RtspServer]:
    """One server per test module, for tests that do not steer it."""
    server = RtspServer(street_mounts(clips)).start()
    try:
        yield server
    finally:
        server.stop()

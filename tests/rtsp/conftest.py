"""Clips rendered once per session and the RTSP server that serves them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.rtsp.clips import render, write_clip
from tests.rtsp.server import MountSpec, RtspServer, require_gst

FPS = 5
WH = (640, 360)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One street scene, 3 s at 640x360, encoded as H.264 and as H.265; and the H.264 one
    followed by 2 s of the same street at 960x540 (a camera whose resolution changes)."""
    require_gst()
    folder = tmp_path_factory.mktemp("clips")
    pictures = render(resolution_wh=WH, fps=FPS, seconds=3.0)
    out: dict[str, Path] = {}
    for codec in ("h264", "h265"):
        out[codec] = folder / f"street.{codec}"
        write_clip(out[codec], codec, pictures, fps=FPS)
    big = folder / "big.h264"
    larger = [np.asarray(cv2.resize(p, (960, 540)), np.uint8) for p in pictures[: 2 * FPS]]
    write_clip(big, "h264", larger, fps=FPS)
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

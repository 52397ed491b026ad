"""The edge agent's video hook: off without its variable, serving from a FrameTap with it."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest
from pydantic import ValidationError

from contracts.video_wire import RecordReader
from edge.frame_tap import FrameTap
from edge.video.service import video_from_env
from edge.video.synthetic import PacedCamera


def test_hook_is_off_without_its_variable_and_strict_with_it(tmp_path: Path) -> None:
    assert video_from_env(FrameTap(), {}) is None
    path = tmp_path / "video.yaml"
    path.write_text("video:\n  port: 0\n")
    with pytest.raises(ValueError, match="GRIDWALL_VIDEO_TOKEN holds no video token"):
        video_from_env(FrameTap(), {"GRIDWALL_EDGE_VIDEO": str(path)})
    path.write_text("video:\n  prot: 0\n")
    with pytest.raises(ValidationError, match="prot"):
        video_from_env(FrameTap(), {"GRIDWALL_EDGE_VIDEO": str(path), "GRIDWALL_VIDEO_TOKEN": "t"})


@pytest.mark.integration
def test_hook_serves_frames_published_to_the_tap(tmp_path: Path) -> None:
    path = tmp_path / "video.yaml"
    path.write_text("video:\n  port: 0\n  codec: h264\n")
    tap = FrameTap()
    env = {"GRIDWALL_EDGE_VIDEO": str(path), "GRIDWALL_VIDEO_TOKEN": "tok"}
    service = video_from_env(tap, env)
    assert service is not None
    gradient = np.tile(np.arange(640, dtype=np.uint8) // 3, (360, 1))
    image = np.dstack([gradient] * 3)
    camera = PacedCamera("cam-07", lambda: image.copy(), tap, fps=20).start()
    try:
        url = f"http://127.0.0.1:{service.server.port}/video/cam-07/sub"
        reader, packets = RecordReader(), []
        with httpx.stream("GET", url, headers={"Authorization": "Bearer tok"}, timeout=10) as r:
            assert r.headers["x-gridwall-codec"] == "h264"
            assert (r.headers["x-gridwall-width"], r.headers["x-gridwall-height"]) == ("320", "180")
            for chunk in r.iter_raw():
                packets += reader.feed(chunk)
                if len(packets) >= 5:
                    break
        assert packets[0].keyframe
        assert packets[0].data[:4] == b"\x00\x00\x00\x01"  # H.264 Annex B start code
        assert [p.sequence for p in packets] == sorted(p.sequence for p in packets)
    finally:
        camera.stop()
        service.stop()

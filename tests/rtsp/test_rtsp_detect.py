"""Must show: the edge agent detects on real H.264 and H.265 RTSP streams, one alert per
episode. Two cameras on one box, one over TCP and one over UDP, play a clip rendered from a
synthetic street in which gas cylinders are stacked; the shipped ONNX model detects."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from contracts.messages import AlertEvent
from contracts.topics import TopicKind
from tests.edge.helpers import MODEL_FP32, Recorder, wait_for
from tests.rtsp.agent_rig import rtsp_agent
from tests.rtsp.clips import render, write_clip
from tests.rtsp.server import MountSpec, RtspServer, require_gst

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
FPS = 4
WH = (480, 270)
EPISODE_S = (0.5, 5.0)
SCRIPT: dict[str, Any] = {
    "background": "site",
    "duration_s": EPISODE_S[1],
    "loop": False,
    "episodes": [
        {
            "kind": "gas_cylinder_stack",
            "start_s": EPISODE_S[0],
            "end_s": EPISODE_S[1],
            "region_norm": (0.12, 0.58, 0.36, 0.82),
            "count": 4,
        }
    ],
}


def test_one_alert_per_episode_on_h264_over_tcp_and_h265_over_udp(
    tmp_path: Path, mqtt_url: str, topic_prefix: str
) -> None:
    require_gst()
    if not MODEL_FP32.is_file():
        pytest.skip(f"shipped model {MODEL_FP32.name} not present")
    mounts = []
    pictures = render(SCRIPT, resolution_wh=WH, fps=FPS, seconds=EPISODE_S[1])
    for codec in ("h264", "h265"):
        clip = tmp_path / f"cylinders.{codec}"
        write_clip(clip, codec, pictures, fps=FPS, keyframe_every=4)
        mounts.append(MountSpec(f"/{codec}", clip, codec, FPS, loop=False))
    server = RtspServer(mounts).start()
    rec = Recorder(mqtt_url, topic_prefix, "edge-t1", (TopicKind.EVENT,))
    cameras = {"cam-h264": server.url("/h264"), "cam-h265": server.url("/h265")}
    try:
        with rtsp_agent(
            tmp_path,
            mqtt_url,
            topic_prefix,
            cameras,
            transport={"cam-h264": "tcp", "cam-h265": "udp"},
            backend="onnx",
            rules={"cylinder_hold_s": 1.0},
            pipeline={"clear_s": 10.0},
            wh=WH,
            fps=FPS,
        ) as (agent, _log):
            started_s = time.monotonic()
            alerted = wait_for(lambda: len(rec.of(AlertEvent)) >= 2, 30.0, 0.1)
            stats = [p.stats() for p in agent.pipelines.values()]
            assert alerted, f"alerts: {rec.of(AlertEvent)}; cameras: {stats}"
            # the H.264 camera's own packets are there for pass-through; H.265 has none
            own = agent.packet_tap.latest("cam-h264")
            assert own is not None and own.resolution_wh == WH
            assert agent.packet_tap.latest("cam-h265") is None
            print(f"\nboth cameras alerted {time.monotonic() - started_s:.1f} s after start")
            # the clip plays to its end: still one alert
            time.sleep(max(0.0, started_s + EPISODE_S[1] + 1.0 - time.monotonic()))
    finally:
        server.stop()
        wait_for(lambda: len([e for e in rec.of(AlertEvent) if e.type == "end"]) >= 2, 10.0)
        rec.close()
    assert not rec.errors
    news = [e for e in rec.of(AlertEvent) if e.type == "new"]
    assert sorted((e.camera_id, e.category, e.zone_id) for e in news) == [
        ("cam-h264", "06901", "ground"),
        ("cam-h265", "06901", "ground"),
    ], [(e.camera_id, e.category, e.attributes) for e in news]
    assert all(e.boxes for e in news)

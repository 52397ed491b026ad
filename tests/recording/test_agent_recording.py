"""The agent records: a box config with ``recording:`` and a video server, a synthetic
camera with a garbage dump, the truth detector: its alarm is marked on the recording (the
agent's alert sink tells the recorder), segments are written from the box's H.264
rendition, and the box lists both over HTTP; the alarm still reaches the broker."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from contracts.messages import AlertEvent
from contracts.topics import TopicKind
from edge.agent import Agent
from edge.settings import load_edge_config
from tests.edge.helpers import Recorder as BrokerRecorder
from tests.edge.helpers import box_config, camera, wait_for, write_config

pytestmark = pytest.mark.integration
SCENE = {
    "background": "street",
    "duration_s": 60.0,
    "loop": False,
    "episodes": [
        {
            "kind": "waste_dump",
            "start_s": 0.0,
            "end_s": 60.0,
            "region_norm": (0.6, 0.6, 0.8, 0.8),
            "pile": True,
        }
    ],
}


def test_agent_marks_its_alarm_on_the_recording(
    tmp_path: Path, mqtt_url: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cam = camera(
        "cam-r1",
        {"kind": "synthetic", "script": SCENE},
        categories=("06010",),
        fps=5,
        detect_fps=5,
        rules={"waste_still_s": 0.5},
    )
    data = box_config(tmp_path, mqtt_url, topic_prefix, [cam])
    data["recording"] = {"path": str(tmp_path / "rec"), "segment_s": 2, "max_age_h": 1}
    video = tmp_path / "video.yaml"
    video.write_text("video:\n  port: 0\n  codec: h264\n")
    monkeypatch.setenv("GRIDWALL_EDGE_VIDEO", str(video))
    monkeypatch.setenv("GRIDWALL_VIDEO_TOKEN", "box-token-agent-rec")
    config = load_edge_config(write_config(tmp_path, data), env={})
    broker = BrokerRecorder(mqtt_url, topic_prefix, "edge-t1", (TopicKind.EVENT,))
    agent = Agent(config, tmp_path)
    agent.start()
    try:
        assert agent.recorder is not None and agent.video is not None
        index = agent.recorder.index
        assert wait_for(lambda: bool(index.alarms("cam-r1")), 20), "no alarm marked"
        assert wait_for(lambda: len(index.segments("cam-r1")) >= 1, 20), "no segments"
        url = f"http://127.0.0.1:{agent.video.server.port}/recordings/cam-r1"
        got = httpx.get(url, headers={"Authorization": "Bearer box-token-agent-rec"}).json()
        alarm = got["alarms"][0]
        assert (alarm["zone_id"], alarm["category"]) == ("ground", "06010")
        assert got["segments"][0]["start_ms"] <= alarm["started_ms"] + 2_000
        assert wait_for(lambda: bool(broker.of(AlertEvent)), 10), "alert not on the broker"
        assert broker.of(AlertEvent)[0].event_id == alarm["event_id"]
    finally:
        agent.stop()
        broker.close()

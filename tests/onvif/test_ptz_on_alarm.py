"""Must show: a PTZ preset on alarm, and the return. The real agent runs a synthetic camera
lock-step (truth detector) whose gas cylinders raise one alert; its ``ptz_on_alarm`` names
the ONVIF stand-in, which must be sent to the alarm preset once and home again after
``return_after_s``. A device refusing the login costs the move, never the alert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.messages import AlertEvent
from contracts.topics import TopicKind
from edge.agent import Agent
from edge.settings import parse_edge_config
from tests.edge.helpers import Recorder, box_config, camera, wait_for
from tests.onvif.standin import OnvifStandIn

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
SCRIPT: dict[str, Any] = {
    "background": "street",
    "duration_s": 20.0,
    "loop": False,
    "episodes": [
        {
            "kind": "gas_cylinder_stack",
            "start_s": 1.0,
            "end_s": 19.0,
            "region_norm": (0.12, 0.58, 0.36, 0.82),
            "count": 4,
        }
    ],
}


@pytest.fixture
def device() -> Iterator[OnvifStandIn]:
    standin = OnvifStandIn("rtsp://127.0.0.1:1/none").start()
    try:
        yield standin
    finally:
        standin.stop()


def _agent(tmp_path: Path, mqtt_url: str, prefix: str, device: OnvifStandIn) -> Agent:
    cam = camera(
        "cam-p",
        {"kind": "synthetic", "script": SCRIPT, "seed": 3, "speed": 0},
        wh=(480, 270),
        fps=4.0,
        detect_fps=4.0,
        rules={"cylinder_hold_s": 1.0},
    )
    cam["ptz_on_alarm"] = {
        "device_url": f"{device.base}/onvif/device_service",
        "username_env": "GW_TEST_PTZ_USER",
        "password_env": "GW_TEST_PTZ_PASSWORD",
        "profile": "main",
        "preset": "2",
        "home_preset": "1",
        "return_after_s": 1.0,
    }
    data = box_config(tmp_path, mqtt_url, prefix, [cam], backend="truth")
    return Agent(parse_edge_config(data, "test", tmp_path), tmp_path, lockstep=True)


@pytest.mark.parametrize("password", ["s3cret", "wrong"])
def test_an_alarm_turns_the_ptz_to_its_preset_and_home_again(
    tmp_path: Path,
    mqtt_url: str,
    topic_prefix: str,
    device: OnvifStandIn,
    monkeypatch: pytest.MonkeyPatch,
    password: str,
) -> None:
    monkeypatch.setenv("GW_TEST_PTZ_USER", "admin")
    monkeypatch.setenv("GW_TEST_PTZ_PASSWORD", password)
    rec = Recorder(mqtt_url, topic_prefix, "edge-t1", (TopicKind.EVENT,))
    agent = _agent(tmp_path, mqtt_url, topic_prefix, device)
    agent.start()
    try:
        assert wait_for(lambda: any(e.type == "new" for e in rec.of(AlertEvent)), 30.0)
        if password == "wrong":
            assert wait_for(lambda: agent.ptz.failures >= 2, 10.0), agent.ptz.failures
            assert device.moves == [] and agent.ptz.moves == []
        else:
            want = [("cam-p", "2"), ("cam-p", "1")]  # the box notes a move once answered
            assert wait_for(lambda: agent.ptz.moves == want, 10.0), agent.ptz.moves
            assert device.moves == ["2", "1"]
    finally:
        agent.stop()
        rec.close()
    news = [e for e in rec.of(AlertEvent) if e.type == "new"]
    assert [(e.camera_id, e.category) for e in news] == [("cam-p", "06901")]

"""Must show, end to end with the real edge agent, the real broker and the real hub: a case
filed from the agent's alert, resolved while the cylinders still stand and the detector has
gone blind to them, is handed to an operator (the zone still looks like the alarm frame),
never verified; the hub holds both frames the operator compares (the alarm snapshot and the
after frame) and the check on the case's log."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import yaml
from redis.asyncio import Redis

from edge.agent import Agent
from edge.detect.truth import TruthDetector
from edge.detections import Detections
from edge.settings import EdgeConfig, parse_edge_config
from edge.sources.base import Frame
from hub.domain.clock import FakeClock
from hub.settings import HubSettings
from tests.hub.conftest import OP, Hub, running_hub, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # runs the real edge agent

CYLINDERS_STAY: dict[str, Any] = {
    "background": "street",
    "duration_s": 3600.0,
    "loop": False,
    "episodes": [
        {
            "kind": "gas_cylinder_stack",
            "start_s": 0.5,
            "end_s": 3600.0,
            "region_norm": [0.12, 0.58, 0.36, 0.82],
            "count": 4,
        }
    ],
}


class SwitchableDetector:
    """The truth detector, or (``blind`` set) one that never sees anything."""

    def __init__(self, class_names: tuple[str, ...]) -> None:
        self.inner = TruthDetector(class_names)
        self.class_names = class_names
        self.version = "truth-switchable"
        self.alert_confidence: dict[str, float] = {}  # the zones' own thresholds
        self.blind = threading.Event()

    def detect(self, image: npt.NDArray[np.uint8], frame: Frame | None = None) -> Detections:
        if self.blind.is_set():
            return Detections.empty((image.shape[1], image.shape[0]))
        return self.inner.detect(image, frame)


@pytest.fixture
async def live_hub(hub_settings: HubSettings, redis: Redis) -> AsyncIterator[Hub]:
    """The test hub on a clock that starts now (the agent stamps alerts with real time)."""
    async with running_hub(hub_settings, FakeClock(int(time.time() * 1000))) as h:
        yield h


def _box_config(
    test_district: Path, tmp_path: Path, mqtt_url: str, topic_prefix: str
) -> dict[str, Any]:
    cams = yaml.safe_load((test_district / "cameras.yaml").read_text(encoding="utf-8"))
    cam = next(c for c in cams["cameras"] if c["camera_id"] == "cam-01")
    cam["stream"] = {
        "main": {"kind": "synthetic", "script": CYLINDERS_STAY, "seed": 3, "speed": 2.0},
        "resolution_wh": [320, 180],
        "fps": 5,
        "detect_resolution_wh": [320, 180],
        "detect_fps": 5,
    }
    cam["zones"][0]["categories"] = ["06901"]
    cam["zones"][0]["rules"] = {"cylinder_min_count": 2, "cylinder_hold_s": 0.5}
    cats = yaml.safe_load((test_district / "categories.yaml").read_text(encoding="utf-8"))
    return {
        "box_id": "edge-01",
        "mqtt": {"url": mqtt_url, "topic_prefix": topic_prefix},
        "detector": {"backend": "truth"},
        "outbox_path": str(tmp_path / "edge" / "outbox.sqlite"),
        "stats_interval_s": 30.0,
        "cameras": [cam],
        "categories": [c for c in cats["categories"] if c["code"] == "06901"],
    }


async def test_an_unchanged_zone_goes_to_an_operator_not_verified(
    live_hub: Hub,
    redis: Redis,
    test_district: Path,
    tmp_path: Path,
    mqtt_url: str,
    topic_prefix: str,
) -> None:
    hub = live_hub
    holder: dict[str, SwitchableDetector] = {}

    def factory(c: EdgeConfig) -> SwitchableDetector:
        holder["d"] = SwitchableDetector(tuple(c.settings.detector.class_names))
        return holder["d"]

    config = parse_edge_config(
        _box_config(test_district, tmp_path, mqtt_url, topic_prefix), "test", tmp_path, env={}
    )
    agent = Agent(config, tmp_path, detector_factory=factory)
    await asyncio.to_thread(agent.start)
    try:

        async def filed() -> str | None:
            cases = await hub.cases()
            return str(cases[0]["case_no"]) if cases else None

        no = await wait_for(filed, 60.0)
        assert await wait_for(
            lambda: asyncio.to_thread(agent.alarm_frames.latest, "cam-01", "ground", "06901"),
            10.0,
        )
        holder["d"].blind.set()  # from here the detector reports nothing, cylinders or not
        for action in ("accept", "resolve"):
            r = await hub.http.post(f"/api/cases/{no}/actions", headers=OP, json={"action": action})
            assert r.status_code == 200, r.text

        async def handed_over() -> list[dict[str, Any]] | None:
            tl: list[dict[str, Any]] = (
                await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)
            ).json()
            return tl if tl[-1]["data"].get("verification") == "human" else None

        tl = await wait_for(handed_over, 60.0)
    finally:
        await asyncio.to_thread(agent.stop)
    last = tl[-1]
    check = last["data"]["check"]
    assert (last["actor"], check["result"]) == ("camera:cam-01", "uncertain"), last
    assert "still looks like the alarm frame" in last["note"]
    assert check["scene_change"] < check["scene_change_min"], check
    assert check["evidence"][0]["name"] == "gas_cylinder" and check["evidence"][0]["score"] == 0
    print(f"\nunchanged zone, blind detector: scene change {check['scene_change']}")
    detail = (await hub.http.get(f"/api/cases/{no}", headers=OP)).json()
    assert (detail["state"], detail["verification"]) == ("resolved", "human")
    assert not any(e["action"] in ("verify", "close") for e in tl)
    # the operator's two frames: the alarm snapshot the box compared with, and the after frame
    for sid in (check["reference_snapshot_id"], check["snapshot_id"]):
        r = await hub.http.get(f"/api/snapshots/{sid}", headers=OP)
        assert r.status_code == 200 and r.content[:2] == b"\xff\xd8", (sid, r.status_code)

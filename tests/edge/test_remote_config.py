"""Must show: a bad remote config is rejected with its reason while the old one keeps running;
a good one is applied without a restart. Also zone verification over MQTT (its blind-spot
rule: ``test_verify_blind_spot.py``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from contracts.codec import encode
from contracts.messages import (
    AlertEvent,
    BoxStats,
    ConfigAck,
    RemoteConfig,
    VerifyRequest,
    VerifyResponse,
)
from contracts.topics import TopicKind, topic_for
from edge.agent import Agent
from edge.settings import parse_edge_config
from tests.edge.helpers import Recorder, box_config, camera, publish, wait_for

pytestmark = pytest.mark.integration

CYLINDERS: dict[str, Any] = {
    "background": "street",
    "duration_s": 600.0,
    "loop": False,
    "episodes": [
        {
            "kind": "gas_cylinder_stack",
            "start_s": 0.0,
            "end_s": 600.0,
            "region_norm": (0.12, 0.58, 0.36, 0.82),
            "count": 3,
        }
    ],
}


def _cam(camera_id: str, **kw: Any) -> dict[str, Any]:
    main = {"kind": "synthetic", "script": CYLINDERS, "seed": 2, "speed": 4.0}
    return camera(camera_id, main, wh=(320, 180), **kw)


def _remote(config_id: str, config: dict[str, Any]) -> bytes:
    return encode(
        RemoteConfig(config_id=config_id, issued_ms=int(time.time() * 1000), config=config)
    )


def test_remote_config_rejected_then_applied(
    tmp_path: Path, mqtt_url: str, topic_prefix: str
) -> None:
    rules = {"cylinder_min_count": 2, "cylinder_hold_s": 0.5}
    base = box_config(tmp_path, mqtt_url, topic_prefix, [_cam("cam-a", rules=rules)])
    base["stats_interval_s"] = 1.0
    agent = Agent(parse_edge_config(base, "test", tmp_path), tmp_path)
    kinds = (TopicKind.CONFIG_ACK, TopicKind.STATS, TopicKind.EVENT)
    rec = Recorder(mqtt_url, topic_prefix, "edge-t1", kinds)
    config_topic = topic_for(topic_prefix, TopicKind.CONFIG, "edge-t1")
    agent.start()
    try:
        assert wait_for(lambda: agent.pipelines["cam-a"].capture.frames > 3, 20.0)
        old_pipe = agent.pipelines["cam-a"]
        # 1. a zone polygon of two points, and an unknown key: rejected, each named
        bad = {k: v for k, v in base.items() if k not in ("mqtt", "outbox_path")}
        bad_cam = _cam("cam-a")
        bad_cam["zones"][0]["polygon_norm"] = [[0.1, 0.1], [0.2, 0.2]]
        publish(mqtt_url, config_topic, _remote("cfg-bad-0001", {**bad, "cameras": [bad_cam]}))
        typo = {**bad, "detectr": {"backend": "onnx"}}
        publish(mqtt_url, config_topic, _remote("cfg-bad-0003", typo), retain=True)
        # 2. a model file that does not exist: rejected by the detector, not by the schema
        no_model = {**base, "detector": {"backend": "onnx", "model_path": "missing.onnx"}}
        del no_model["mqtt"], no_model["outbox_path"]
        publish(mqtt_url, config_topic, _remote("cfg-bad-0002", no_model), retain=True)
        assert wait_for(lambda: len(rec.of(ConfigAck)) >= 3, 20.0)
        acks = {a.config_id: a for a in rec.of(ConfigAck)}
        assert acks["cfg-bad-0001"].status == "rejected"
        assert "cameras[cam-a].zones[ground].polygon_norm" in (acks["cfg-bad-0001"].reason or "")
        assert acks["cfg-bad-0003"].status == "rejected"
        assert "detectr: got {'backend': 'onnx'}: unknown key" in (
            acks["cfg-bad-0003"].reason or ""
        )
        assert acks["cfg-bad-0002"].status == "rejected"
        assert "missing.onnx" in (acks["cfg-bad-0002"].reason or "")
        # the old config keeps running: same pipeline, still capturing, still alerting
        assert agent.pipelines["cam-a"] is old_pipe and agent.config_id is None
        frames = old_pipe.capture.frames
        assert wait_for(lambda: old_pipe.capture.frames > frames + 3, 10.0)
        assert wait_for(lambda: any(e.type == "new" for e in rec.of(AlertEvent)), 30.0)
        # 3. a good config: a second camera joins, applied without a restart
        good = {**base, "cameras": [_cam("cam-a", rules=rules), _cam("cam-b")]}
        del good["mqtt"], good["outbox_path"]
        publish(mqtt_url, config_topic, _remote("cfg-good-0003", good), retain=True)
        assert wait_for(lambda: "cfg-good-0003" in {a.config_id for a in rec.of(ConfigAck)}, 20.0)
        ack = next(a for a in rec.of(ConfigAck) if a.config_id == "cfg-good-0003")
        assert ack.status == "applied" and ack.reason is None
        assert agent.config_id == "cfg-good-0003"
        assert agent.pipelines["cam-a"] is old_pipe, "an unchanged camera keeps running"
        assert wait_for(lambda: agent.pipelines["cam-b"].capture.frames > 3, 20.0)

        def stats_show_both() -> bool:
            return any(
                s.config_id == "cfg-good-0003"
                and {c.camera_id for c in s.cameras} == {"cam-a", "cam-b"}
                and all(c.state == "online" for c in s.cameras)
                for s in rec.of(BoxStats)
            )

        assert wait_for(stats_show_both, 10.0)
    finally:
        agent.stop()
        rec.close()
        publish(mqtt_url, config_topic, b"", retain=True)
    assert not rec.errors


def test_zone_verification_answers_present_and_clear(
    tmp_path: Path, mqtt_url: str, topic_prefix: str
) -> None:
    rules = {"cylinder_min_count": 2, "cylinder_hold_s": 0.5}
    data = box_config(tmp_path, mqtt_url, topic_prefix, [_cam("cam-a", rules=rules)])
    agent = Agent(parse_edge_config(data, "test", tmp_path), tmp_path)
    kinds = (TopicKind.EVENT, TopicKind.VERIFY_RESPONSE, TopicKind.SNAPSHOT)
    rec = Recorder(mqtt_url, topic_prefix, "edge-t1", kinds)
    req_topic = topic_for(topic_prefix, TopicKind.VERIFY_REQUEST, "edge-t1")
    agent.start()
    try:
        assert wait_for(lambda: any(e.type == "new" for e in rec.of(AlertEvent)), 30.0)
        for rid, cam, cat in (
            ("verify-0001", "cam-a", "06901"),
            ("verify-0002", "cam-a", "06010"),
            ("verify-0003", "cam-zz", "06901"),
        ):
            req = VerifyRequest(
                request_id=rid,
                camera_id=cam,
                zone_id="ground",
                category=cat,
                requested_ms=int(time.time() * 1000),
            )
            publish(mqtt_url, req_topic, encode(req))
        assert wait_for(lambda: len(rec.of(VerifyResponse)) >= 3, 20.0)
        got = {r.request_id: r for r in rec.of(VerifyResponse)}
        assert got["verify-0001"].result == "present"
        # nothing of the category there, but no alarm of it either: nothing to compare with
        assert got["verify-0002"].result == "uncertain"
        assert "keeps no alarm frame" in (got["verify-0002"].reason or "")
        assert got["verify-0003"].result == "error"
        assert "cam-zz" in (got["verify-0003"].reason or "")
        snaps = rec.snapshots()
        assert wait_for(lambda: got["verify-0001"].snapshot_id in rec.snapshots(), 5.0), (
            snaps.keys()
        )
    finally:
        agent.stop()
        rec.close()
    assert not rec.errors

"""Contract v1: every message kind round-trips; bad payloads get a reason naming the value."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from contracts import codec
from contracts.codec import ContractError, decode, encode
from contracts.messages import (
    AlertEvent,
    Availability,
    BoxStats,
    CameraStats,
    ConfigAck,
    DetectionBox,
    RemoteConfig,
    SensorReading,
    VerifyEvidence,
    VerifyRequest,
    VerifyResponse,
)
from contracts.topics import Topic, TopicKind, parse_topic, shared, subscription, topic_for

P = "gridwall"
BOX = "edge-01"
T0 = 1_795_000_000_000


def alert(**changes: object) -> AlertEvent:
    base: dict[str, object] = {
        "type": "new",
        "event_id": "edge-01-cam-01-ground-06010-000001",
        "seq": 7,
        "box_id": BOX,
        "camera_id": "cam-01",
        "zone_id": "ground",
        "category": "06010",
        "rule": "waste_dump",
        "confidence": 0.91,
        "boxes": (
            DetectionBox(xyxy_norm=(0.1, 0.5, 0.2, 0.7), confidence=0.91, class_name="waste"),
        ),
        "started_at_ms": T0,
        "updated_at_ms": T0 + 500,
        "snapshot_id": "snap-000000000001",
    }
    base.update(changes)
    return AlertEvent.model_validate(base)


SAMPLES: list[tuple[TopicKind, BaseModel]] = [
    (TopicKind.EVENT, alert()),
    (TopicKind.EVENT, alert(type="end", ended_at_ms=T0 + 9000)),
    (TopicKind.AVAILABILITY, Availability(box_id=BOX, state="offline")),
    (
        TopicKind.STATS,
        BoxStats(
            box_id=BOX,
            sent_ms=T0,
            uptime_s=12.5,
            software_version="0.1.0",
            model_version="gridwall-det-320",
            cpu_percent=37.5,
            cpu_temp_c=51.0,
            mem_used_bytes=200_000_000,
            disk_free_bytes=10**10,
            outbox_depth=0,
            cameras=(
                CameraStats(
                    camera_id="cam-01",
                    state="online",
                    capture_fps=10.0,
                    detect_fps=5.0,
                    skipped_frames=3,
                    inference_ms=18.2,
                    queue_depth=1,
                ),
            ),
        ),
    ),
    (
        TopicKind.CONFIG,
        RemoteConfig(config_id="cfg-20261123-01", issued_ms=T0, config={"box_id": BOX}),
    ),
    (
        TopicKind.CONFIG_ACK,
        ConfigAck(box_id=BOX, config_id="cfg-20261123-01", status="rejected", reason="x", at_ms=T0),
    ),
    (
        TopicKind.VERIFY_REQUEST,
        VerifyRequest(
            request_id="vr-0000000001",
            camera_id="cam-01",
            zone_id="ground",
            category="06010",
            case_no="33990120261123100001",
            requested_ms=T0,
        ),
    ),
    (
        TopicKind.VERIFY_RESPONSE,
        VerifyResponse(
            request_id="vr-0000000001",
            box_id=BOX,
            camera_id="cam-01",
            zone_id="ground",
            category="06010",
            result="clear",
            confidence=0.97,
            checked_ms=T0,
        ),
    ),
    (
        TopicKind.VERIFY_RESPONSE,
        VerifyResponse(
            request_id="vr-0000000002",
            box_id=BOX,
            camera_id="cam-01",
            zone_id="ground",
            category="06010",
            result="uncertain",
            confidence=0.0,
            snapshot_id="vr-0000000002.verify",
            checked_ms=T0,
            reason="nothing found, but the zone still looks like the alarm frame",
            evidence=(VerifyEvidence(name="waste", score=0.0, verify_at=0.25, alert_at=0.35),),
            scene_change=0.04,
            scene_change_min=0.2,
            reference_snapshot_id="edge-01-cam-01-ground-06010-000001.s1795000000000",
        ),
    ),
]


@pytest.mark.parametrize(("kind", "message"), SAMPLES, ids=lambda x: getattr(x, "value", ""))
def test_round_trip(kind: TopicKind, message: BaseModel) -> None:
    topic = topic_for(P, kind, BOX)
    parsed, back = decode(P, topic, encode(message))
    assert parsed == Topic(kind, BOX)
    assert back == message


def test_sensor_and_snapshot_topics_carry_their_id() -> None:
    reading = SensorReading(
        box_id=BOX,
        sensor_id="pm-site-1",
        quantity="pm10",
        value=180.0,
        unit="ug/m3",
        measured_ms=T0,
    )
    topic = topic_for(P, TopicKind.SENSOR, BOX, "pm-site-1")
    assert decode(P, topic, encode(reading)) == (Topic(TopicKind.SENSOR, BOX, "pm-site-1"), reading)
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 100
    snap = topic_for(P, TopicKind.SNAPSHOT, BOX, "snap-000000000001")
    assert decode(P, snap, jpeg) == (Topic(TopicKind.SNAPSHOT, BOX, "snap-000000000001"), jpeg)


def _event_json(**changes: object) -> bytes:
    data = json.loads(encode(alert()))
    data.update(changes)
    return json.dumps(data).encode()


BAD: list[tuple[str, bytes, str]] = [
    ("not json", b"{nope", "message is not JSON"),
    ("not an object", b"[1, 2]", "must be a JSON object, got list"),
    ("no version", b'{"type": "new"}', "no contract version field 'v'"),
    ("future version", _event_json(v=2), "unsupported contract version 2; this side speaks 1"),
    ("bool version", _event_json(v=True), "unsupported contract version True"),
    ("unknown key", _event_json(colour="red"), "colour: unknown key"),
    ("missing key", json.dumps({"v": 1}).encode(), "event_id: missing"),
    ("wrong type", _event_json(seq="7"), "seq: got '7'"),
    ("confidence range", _event_json(confidence=1.5), "confidence: got 1.5"),
    ("bad category", _event_json(category="6010"), "category: got '6010'"),
    (
        "box order",
        _event_json(
            boxes=[{"xyxy_norm": [0.5, 0.5, 0.1, 0.9], "confidence": 0.5, "class_name": "waste"}]
        ),
        "x0 < x1",
    ),
    ("end without time", _event_json(type="end"), "an 'end' event needs ended_at_ms"),
    ("time order", _event_json(updated_at_ms=T0 - 1), "is before started_at_ms"),
    ("oversized", b'{"v": 1, "pad": "' + b"x" * 20_000 + b'"}', "over the 16384-byte cap"),
    ("not utf-8", b"\xff\xfe{}", "not UTF-8"),
    ("deep nesting", b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (
        "other box",
        _event_json(box_id="edge-02"),
        "names box 'edge-02' but was published under box 'edge-01'",
    ),
]


@pytest.mark.parametrize(("case", "payload", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_payload_names_the_problem(case: str, payload: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as err:
        decode(P, topic_for(P, TopicKind.EVENT, BOX), payload)
    assert reason in str(err.value), f"{case}: {err.value}"


BAD_TOPICS = [
    ("gridwall/v2/edge/edge-01/event", "unsupported contract version 'v2'"),
    ("other/v1/edge/edge-01/event", "is not under 'gridwall/v1/edge/'"),
    ("gridwall/v1/edge/Edge#1/event", "box id 'Edge#1' is not a valid id"),
    ("gridwall/v1/edge/edge-01/colour", "unknown message kind 'colour'"),
    ("gridwall/v1/edge/edge-01/snapshot", "unknown message kind 'snapshot'"),
]


@pytest.mark.parametrize(("topic", "reason"), BAD_TOPICS)
def test_bad_topic(topic: str, reason: str) -> None:
    with pytest.raises(ContractError, match=None) as err:
        parse_topic(P, topic)
    assert reason in str(err.value)


def test_snapshot_checks() -> None:
    topic = topic_for(P, TopicKind.SNAPSHOT, BOX, "snap-000000000001")
    with pytest.raises(ContractError, match="not a JPEG"):
        decode(P, topic, b"GIF89a")
    with pytest.raises(ContractError, match="over the 524288-byte cap"):
        decode(P, topic, b"\xff\xd8\xff" + b"\x00" * codec.MAX_SNAPSHOT_BYTES)


def test_encode_refuses_oversized_message() -> None:
    big = RemoteConfig(config_id="cfg-big-000001", issued_ms=T0, config={"x": "y" * 300_000})
    with pytest.raises(ContractError, match="over the 262144-byte cap"):
        encode(big)


def test_subscriptions() -> None:
    assert subscription(P, TopicKind.EVENT) == "gridwall/v1/edge/+/event"
    assert subscription(P, TopicKind.SNAPSHOT) == "gridwall/v1/edge/+/snapshot/+"
    assert shared("hub", subscription(P, TopicKind.EVENT)) == "$share/hub/gridwall/v1/edge/+/event"


def _verify_json(**changes: object) -> bytes:
    _, sample = SAMPLES[-1]
    data = json.loads(encode(sample))
    data.update(changes)
    return json.dumps(data).encode()


BAD_VERIFY: list[tuple[str, bytes, str]] = [
    ("unknown result", _verify_json(result="maybe"), "result: got 'maybe'"),
    ("uncertain without reason", _verify_json(reason=None), "an 'uncertain' answer needs a reason"),
    ("change alone", _verify_json(scene_change_min=None), "scene_change and scene_change_min come"),
    ("change range", _verify_json(scene_change=1.2), "scene_change: got 1.2"),
    (
        "thresholds upside down",
        _verify_json(evidence=[{"name": "waste", "score": 0.1, "verify_at": 0.5, "alert_at": 0.4}]),
        "verify_at 0.5 must not exceed alert_at 0.4",
    ),
]


@pytest.mark.parametrize(("case", "payload", "reason"), BAD_VERIFY, ids=[b[0] for b in BAD_VERIFY])
def test_bad_verify_response_names_the_problem(case: str, payload: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as err:
        decode(P, topic_for(P, TopicKind.VERIFY_RESPONSE, BOX), payload)
    assert reason in str(err.value), f"{case}: {err.value}"


def test_an_older_box_answer_without_the_scene_fields_still_parses() -> None:
    old = b'{"v":1,"request_id":"vr-0000000009","box_id":"edge-01","camera_id":"cam-01",'
    old += b'"zone_id":"ground","category":"06010","result":"clear","confidence":0.9,'
    old += b'"checked_ms":1795000000000}'
    _, msg = decode(P, topic_for(P, TopicKind.VERIFY_RESPONSE, BOX), old)
    assert isinstance(msg, VerifyResponse)
    assert (msg.result, msg.scene_change, msg.evidence) == ("clear", None, ())

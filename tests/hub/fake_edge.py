"""A stand-in edge box for the hub tests: answers verify requests for edge-01 with scripted
results over the real broker, each with its after frame (a JPEG on the snapshot topic)
first, the way ``edge.agent`` sends them."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contracts.codec import decode_json, encode
from contracts.messages import VerifyEvidence, VerifyRequest, VerifyResponse
from contracts.topics import TopicKind, subscription, topic_for

REFERENCE = "edge-01.cam-01.ground.06010.000001.s1795000000000"
"""The alarm snapshot the fake box says it compared with."""


def jpeg() -> bytes:
    ok, buf = cv2.imencode(".jpg", np.full((90, 160, 3), 128, np.uint8))
    assert ok
    return bytes(buf.tobytes())


def answer_for(req: VerifyRequest, result: str) -> VerifyResponse:
    """A box's answer: "clear" and "uncertain" with the figures that back them, "old-clear"
    as a box from before the scene check answers (no figures), others bare."""
    base: dict[str, Any] = {
        "request_id": req.request_id,
        "box_id": "edge-01",
        "camera_id": req.camera_id,
        "zone_id": req.zone_id,
        "category": req.category,
        "checked_ms": req.requested_ms + 1,
        "snapshot_id": f"{req.request_id}.verify",
    }
    nothing = (VerifyEvidence(name="waste", score=0.0, verify_at=0.175, alert_at=0.35),)
    if result == "clear":
        return VerifyResponse(
            **base,
            result="clear",
            confidence=0.0,
            reason="nothing found at the verify threshold and the zone changed (0.41 >= 0.20)",
            evidence=nothing,
            scene_change=0.41,
            scene_change_min=0.2,
            reference_snapshot_id=REFERENCE,
        )
    if result == "uncertain":
        return VerifyResponse(
            **base,
            result="uncertain",
            confidence=0.0,
            reason="nothing found at the verify threshold, but the zone still looks like the "
            "alarm frame (change 0.03 < 0.20)",
            evidence=nothing,
            scene_change=0.03,
            scene_change_min=0.2,
            reference_snapshot_id=REFERENCE,
        )
    if result == "old-clear":
        return VerifyResponse(**base, result="clear", confidence=0.9)
    return VerifyResponse(**base, result=result, confidence=0.9)  # type: ignore[arg-type]


class FakeEdge:
    """Answers the hub's verify requests for edge-01 with scripted results."""

    def __init__(self, host: str, port: int, prefix: str, answers: list[str]) -> None:
        self.prefix, self.answers, self.requests = prefix, list(answers), 0
        self.sent: list[VerifyResponse] = []
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.c.on_message = self._on_message
        self.c.connect(host, port)
        self.c.subscribe(subscription(prefix, TopicKind.VERIFY_REQUEST, "edge-01"), qos=1)
        self.c.loop_start()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        req = decode_json(VerifyRequest, bytes(msg.payload))
        self.requests += 1
        resp = answer_for(req, self.answers.pop(0) if self.answers else "error")
        self.sent.append(resp)
        if resp.snapshot_id:
            snap = topic_for(self.prefix, TopicKind.SNAPSHOT, "edge-01", resp.snapshot_id)
            self.c.publish(snap, jpeg(), qos=1)
        self.c.publish(
            topic_for(self.prefix, TopicKind.VERIFY_RESPONSE, "edge-01"), encode(resp), qos=1
        )

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()

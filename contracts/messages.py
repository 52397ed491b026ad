"""Message contract v1: one frozen model per MQTT message kind.

Every model forbids unknown fields, carries ``v`` (the contract version) and names its units:
``*_ms`` are Unix epoch milliseconds unless the name says otherwise, ``*_norm`` are 0–1
fractions of the image width/height. Images never travel inside these messages: an alert
names a ``snapshot_id`` and the JPEG follows on its own topic (see ``topics.py``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CONTRACT_VERSION: Literal[1] = 1

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
"""Box, camera, zone and sensor ids: lower-case, safe inside an MQTT topic level."""
EventId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,95}$")]
CategoryCode = Annotated[str, Field(pattern=r"^[0-9]{5}$")]
CaseNumber = Annotated[str, Field(pattern=r"^[0-9]{20}$")]
EpochMs = Annotated[int, Field(ge=0, le=32_503_680_000_000)]  # up to year 3000
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
ShortText = Annotated[str, Field(max_length=2000)]
Label = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]


class ContractModel(BaseModel):
    """Base of every message: frozen, strict about unknown keys, versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    v: Literal[1] = CONTRACT_VERSION


class DetectionBox(BaseModel):
    """One detected object, in normalised image coordinates."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    xyxy_norm: tuple[Fraction, Fraction, Fraction, Fraction]
    confidence: Fraction
    class_name: Label
    tracker_id: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DetectionBox:
        x0, y0, x1, y1 = self.xyxy_norm
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"xyxy_norm must have x0 < x1 and y0 < y1, got {self.xyxy_norm}")
        return self


AttributeValue = bool | int | float | Annotated[str, Field(max_length=200)]


class AlertEvent(ContractModel):
    """An alert's lifecycle step: ``new`` once, ``update`` while it holds, ``end`` once.

    ``event_id`` is stable for the whole lifecycle, so a consumer deduplicates by
    ``(event_id, type, seq)``; ``seq`` grows by one per message the box sends.
    """

    type: Literal["new", "update", "end"]
    event_id: EventId
    seq: Annotated[int, Field(ge=0)]
    box_id: Identifier
    camera_id: Identifier
    zone_id: Identifier
    category: CategoryCode
    rule: Label
    confidence: Fraction
    boxes: Annotated[tuple[DetectionBox, ...], Field(max_length=64)] = ()
    started_at_ms: EpochMs
    updated_at_ms: EpochMs
    ended_at_ms: EpochMs | None = None
    snapshot_id: EventId | None = None
    attributes: Annotated[dict[Label, AttributeValue], Field(max_length=16)] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _times(self) -> AlertEvent:
        if self.updated_at_ms < self.started_at_ms:
            raise ValueError(
                f"updated_at_ms {self.updated_at_ms} is before started_at_ms {self.started_at_ms}"
            )
        if self.type == "end" and self.ended_at_ms is None:
            raise ValueError("an 'end' event needs ended_at_ms")
        if self.type != "end" and self.ended_at_ms is not None:
            raise ValueError(f"only an 'end' event carries ended_at_ms, not {self.type!r}")
        return self


class Availability(ContractModel):
    """Retained box availability; ``offline`` is also the box's MQTT last will."""

    box_id: Identifier
    state: Literal["online", "offline"]
    at_ms: EpochMs | None = None


class CameraStats(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    camera_id: Identifier
    state: Literal["starting", "online", "reconnecting", "offline"]
    capture_fps: Annotated[float, Field(ge=0)]
    detect_fps: Annotated[float, Field(ge=0)]
    skipped_frames: Annotated[int, Field(ge=0)]
    inference_ms: Annotated[float, Field(ge=0)]
    queue_depth: Annotated[int, Field(ge=0)]
    last_frame_ms: EpochMs | None = None
    reason: ShortText | None = None


class BoxStats(ContractModel):
    """Heartbeat and health, every ``stats_interval_s`` seconds."""

    box_id: Identifier
    sent_ms: EpochMs
    uptime_s: Annotated[float, Field(ge=0)]
    software_version: Annotated[str, Field(max_length=64)]
    model_version: Annotated[str, Field(max_length=128)]
    config_id: Annotated[str, Field(max_length=96)] | None = None
    cpu_percent: Annotated[float, Field(ge=0, le=100 * 1024)]
    cpu_temp_c: Annotated[float, Field(ge=-60, le=200)] | None = None
    mem_used_bytes: Annotated[int, Field(ge=0)]
    disk_free_bytes: Annotated[int, Field(ge=0)]
    outbox_depth: Annotated[int, Field(ge=0)]
    cameras: Annotated[tuple[CameraStats, ...], Field(max_length=64)] = ()


class RemoteConfig(ContractModel):
    """Retained desired config for one box; the box validates ``config`` with its own model."""

    config_id: EventId
    issued_ms: EpochMs
    config: dict[str, Any]


class ConfigAck(ContractModel):
    box_id: Identifier
    config_id: EventId
    status: Literal["applied", "rejected", "rolled_back"]
    reason: ShortText | None = None
    at_ms: EpochMs

    @model_validator(mode="after")
    def _reason(self) -> ConfigAck:
        if self.status != "applied" and not self.reason:
            raise ValueError(f"a {self.status!r} acknowledgement needs a reason")
        return self


class VerifyRequest(ContractModel):
    """Hub → box: look at this zone now and say whether the problem is still there."""

    request_id: EventId
    camera_id: Identifier
    zone_id: Identifier
    category: CategoryCode
    case_no: CaseNumber | None = None
    requested_ms: EpochMs


class VerifyEvidence(BaseModel):
    """One thing a verification looked for: a detector class (or ``haze``), the highest
    score it had inside the zone, and its verify and alert thresholds."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: Label
    score: Fraction
    verify_at: Fraction
    alert_at: Fraction

    @model_validator(mode="after")
    def _order(self) -> VerifyEvidence:
        if self.verify_at > self.alert_at:
            raise ValueError(f"verify_at {self.verify_at} must not exceed alert_at {self.alert_at}")
        return self


class VerifyResponse(ContractModel):
    """Box → hub: what the zone shows now. ``clear`` only when nothing of the case's classes
    is found at the verify threshold and the zone changed against the alarm frame by at
    least ``scene_change_min``; ``uncertain`` (a person decides) for anything in between.

    ``snapshot_id`` names the frame looked at (the "after" frame), ``reference_snapshot_id``
    the alarm snapshot it was compared with. The fields after ``reason`` were added within
    contract v1 and are optional: an answer without them is an older box's.
    """

    request_id: EventId
    box_id: Identifier
    camera_id: Identifier
    zone_id: Identifier
    category: CategoryCode
    result: Literal["clear", "present", "uncertain", "error"]
    confidence: Fraction
    snapshot_id: EventId | None = None
    checked_ms: EpochMs
    reason: ShortText | None = None
    evidence: Annotated[tuple[VerifyEvidence, ...], Field(max_length=16)] = ()
    scene_change: Fraction | None = None
    scene_change_min: Fraction | None = None
    reference_snapshot_id: EventId | None = None

    @model_validator(mode="after")
    def _consistent(self) -> VerifyResponse:
        if (self.scene_change is None) != (self.scene_change_min is None):
            raise ValueError("scene_change and scene_change_min come together")
        if self.result == "uncertain" and not self.reason:
            raise ValueError("an 'uncertain' answer needs a reason")
        return self


class SensorReading(ContractModel):
    """A particulate (or other) sensor reading published by a box for a site."""

    box_id: Identifier
    sensor_id: Identifier
    camera_id: Identifier | None = None
    quantity: Literal["pm10", "pm2_5", "noise"]
    value: Annotated[float, Field(ge=0, le=100_000)]
    unit: Literal["ug/m3", "dB"]
    measured_ms: EpochMs


PersonId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
"""A responder's id as the district's people file names it; safe inside a topic level."""


class ResponderPush(ContractModel):
    """Hub → responder: a case needs you. Sent on ``{prefix}/v1/responder/{person_id}/push``
    (QoS 1) for native apps, and as the Web Push payload for the browser app.

    ``push_id`` is stable for one notice, so an app that sees it twice shows it once.
    """

    push_id: EventId
    person_id: PersonId
    kind: Literal["dispatch", "escalation", "update", "reminder"]
    case_no: CaseNumber
    category: CategoryCode
    category_name: Annotated[str, Field(max_length=80)]
    place: Annotated[str, Field(max_length=200)]
    grid_code: Annotated[str, Field(pattern=r"^[0-9]{15,21}$")] | None = None
    state: Annotated[str, Field(max_length=32)]
    tier: Annotated[int, Field(ge=0, le=16)] = 0
    deadline_ms: EpochMs | None = None
    snapshot_id: EventId | None = None
    sent_ms: EpochMs
    updates: Annotated[int, Field(ge=1)] = 1

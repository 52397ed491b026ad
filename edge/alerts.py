"""Turns lifecycle steps into contract messages in the outbox: snapshot first, then the event."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from contracts.codec import ContractError, encode
from contracts.messages import AlertEvent, DetectionBox
from contracts.topics import TopicKind, topic_for
from edge.mqtt_link import MqttLink
from edge.outbox import Outbox
from edge.pipeline import StepContext
from edge.snapshot import annotate, encode_capped

log = logging.getLogger(__name__)


class AlertPublisher:
    """The ``AlertSink`` of every pipeline: one ``seq`` per message, durable before sent."""

    def __init__(
        self,
        box_id: str,
        prefix: str,
        outbox: Outbox,
        *,
        snapshot_max_bytes: int,
        snapshot_width: int,
        notify: Callable[[], None] = lambda: None,
        on_event: Callable[[AlertEvent], None] = lambda _e: None,
        on_alarm_frame: Callable[[StepContext, str | None], None] = lambda _c, _s: None,
    ) -> None:
        self.box_id = box_id
        self.prefix = prefix
        self.outbox = outbox
        self.snapshot_max_bytes = snapshot_max_bytes
        self.snapshot_width = snapshot_width
        self._notify = notify
        self._on_event = on_event
        self._on_alarm_frame = on_alarm_frame
        self._lock = threading.Lock()
        self._snapshots: dict[str, str] = {}  # event id → best snapshot id

    @classmethod
    def for_link(
        cls,
        link: MqttLink,
        snapshot_max_bytes: int,
        snapshot_width: int,
        on_alarm_frame: Callable[[StepContext, str | None], None] = lambda _c, _s: None,
    ) -> AlertPublisher:
        """``on_alarm_frame(ctx, snapshot_id)`` is told of every ``new`` and ``update`` step,
        with the clean frame in ``ctx.image`` and the alert's best snapshot id so far (the
        agent keeps the latest frame in which the alert held, for verification)."""
        return cls(
            link.box_id,
            link.prefix,
            link.outbox,
            snapshot_max_bytes=snapshot_max_bytes,
            snapshot_width=snapshot_width,
            notify=link.notify,
            on_alarm_frame=on_alarm_frame,
        )

    def on_step(self, ctx: StepContext) -> None:
        step = ctx.step
        obs = step.observation
        boxes = tuple(
            DetectionBox(xyxy_norm=b, confidence=round(min(max(c, 0.0), 1.0), 4), class_name=n)
            for b, n, c in ctx.boxes_norm[:64]
        )
        jpeg: bytes | None = None
        with self._lock:
            snapshot_id = self._snapshots.get(step.event_id)
            if step.better_snapshot and ctx.image.size > 3:
                jpeg = encode_capped(
                    annotate(ctx.image, ctx.boxes_norm),
                    self.snapshot_max_bytes,
                    self.snapshot_width,
                )
                snapshot_id = f"{step.event_id}.s{step.t_ms}"
                self._snapshots[step.event_id] = snapshot_id
            if step.type == "end":
                self._snapshots.pop(step.event_id, None)
        attributes = {k: v for k, v in list(obs.attributes.items())[:16]}
        holder: dict[str, AlertEvent] = {}

        def build(seq: int) -> list[tuple[str, bytes]]:
            event = AlertEvent(
                type=step.type,
                event_id=step.event_id,
                seq=seq,
                box_id=self.box_id,
                camera_id=ctx.camera_id,
                zone_id=ctx.zone_id,
                category=ctx.category,
                rule=ctx.rule,
                confidence=round(min(max(obs.confidence, 0.0), 1.0), 4),
                boxes=boxes,
                started_at_ms=step.started_ms,
                updated_at_ms=max(step.t_ms, step.started_ms),
                ended_at_ms=max(step.t_ms, step.started_ms) if step.type == "end" else None,
                snapshot_id=snapshot_id,
                attributes=attributes,
            )
            holder["event"] = event
            out = []
            if jpeg is not None and snapshot_id is not None:
                out.append(
                    (topic_for(self.prefix, TopicKind.SNAPSHOT, self.box_id, snapshot_id), jpeg)
                )
            out.append((topic_for(self.prefix, TopicKind.EVENT, self.box_id), encode(event)))
            return out

        try:
            self.outbox.enqueue_numbered(build)
        except ContractError as exc:
            log.error("alert %s not sent: %s", step.event_id, exc)
            return
        event = holder["event"]
        self.outbox.remember_open(event.event_id, None if step.type == "end" else encode(event))
        if step.type != "end" and ctx.image.size > 3:
            try:
                self._on_alarm_frame(ctx, snapshot_id)
            except Exception:  # the alert is out; a lost alarm frame costs only a person's look
                log.exception("alarm frame of %s not kept", step.event_id)
        self._notify()
        self._on_event(event)
        log.info(
            "alert %s %s camera=%s zone=%s category=%s conf=%.2f",
            step.type,
            step.event_id,
            ctx.camera_id,
            ctx.zone_id,
            ctx.category,
            obs.confidence,
        )

    def close_orphans(self, now_ms: int) -> int:
        """End alerts a previous run left open (it stopped without sending ``end``)."""
        count = 0
        for body in self.outbox.open_alerts():
            try:
                old = AlertEvent.model_validate_json(body)
            except ValueError:
                continue

            def build(seq: int, old: AlertEvent = old) -> list[tuple[str, bytes]]:
                ended = old.model_copy(
                    update={
                        "type": "end",
                        "seq": seq,
                        "updated_at_ms": max(now_ms, old.updated_at_ms),
                        "ended_at_ms": max(now_ms, old.updated_at_ms),
                        "attributes": {**old.attributes, "ended_by": "agent_restart"},
                    }
                )
                return [(topic_for(self.prefix, TopicKind.EVENT, self.box_id), encode(ended))]

            self.outbox.enqueue_numbered(build)
            self.outbox.remember_open(old.event_id, None)
            count += 1
        if count:
            self._notify()
        return count

"""Simulated edge boxes for ``bench/county.py``: many lightweight MQTT clients in one process.

No rendering, no inference: each box is one paho client (MQTT 3.1.1, QoS 1, its retained
``online`` and its ``offline`` last will, as the edge agent does) driven by one asyncio
loop through paho's socket callbacks, sending what a box sends under the contract
(docs/contract.md) at a box's rates:

- ``stats`` (BoxStats, one entry per camera) every ``stats_s``;
- alarms: each camera starts one at random (``alarms_per_camera_day``), sends the snapshot
  JPEG then ``new``, an ``update`` every ``update_s`` while it holds, and ``end``;
- flaps: now and then a box's connection drops without a goodbye (the broker sends its last
  will) and comes back after ``flap_down_s``; what its cameras said meanwhile waits in the
  box's outbox (memory here) and is sent, in order, on reconnect;
- a storm: ``storm_share`` of all cameras start an alarm within ``storm_window_s``;
- a broker outage (the bench restarts the broker): every box is dropped at once and
  reconnects as the edge's paho does (1 s, doubling to 5 s), then drains its outbox.

Every event carries ``updated_at_ms`` = the moment it is handed to the client, so the hub's
alert-age histogram is publish-to-case latency. Counts of events acknowledged by the broker
(PUBACK) go back to the parent; an event never acknowledged is counted as ``unacked``.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from county_district import SimCamera
from paho.mqtt.enums import CallbackAPIVersion

from contracts.codec import encode
from contracts.messages import AlertEvent, Availability, BoxStats, CameraStats, DetectionBox
from contracts.topics import TopicKind, topic_for

RULES = {"06901": "gas_cylinder_stack", "08004": "dust"}
NO_MATCHING_SUBSCRIBERS = 16  # MQTT 5 PUBACK reason code
STORM_EVENT = re.compile(r"-s[0-9]{6}$")
"""The event ids of a storm's alarms."""


@dataclass(frozen=True)
class SimSettings:
    host: str
    port: int
    topic_prefix: str
    duration_s: float
    stats_s: float = 10.0
    alarms_per_camera_day: float = 64.0
    alarm_hold_s: float = 120.0
    update_s: float = 15.0
    high_confidence_share: float = 0.3
    flaps_per_box_hour: float = 0.5
    flap_down_s: float = 20.0
    storm_at_s: float | None = None
    storm_share: float = 0.1
    storm_window_s: float = 60.0
    storm_hold_s: float = 180.0
    ramp_s: float = 10.0
    seed: int = 1
    mqtt5: bool = False  # MQTT 5: a PUBACK "no matching subscribers" (16) keeps the message


@dataclass
class Tally:
    events_sent: int = 0
    events_acked: int = 0
    other_sent: int = 0
    other_acked: int = 0
    snapshot_bytes: int = 0
    alarms_started: int = 0
    storm_alarms: int = 0
    flaps: int = 0
    events_replayed: int = 0  # sent from the outbox after a flap (their age includes it)
    connected: int = 0
    refused: int = 0  # CONNACK with a failure code
    # broker outage (``--storm-reconnect``): boxes it dropped, boxes back, what they replayed,
    # connects the broker refused once it was up again, and when (Unix ms) the last box was
    # back and the last replayed message acknowledged
    outage_dropped: int = 0
    outage_back: int = 0
    outage_replayed: int = 0
    connect_errors_after_up: int = 0
    outage_last_back_at_ms: int = 0
    outage_drained_at_ms: int = 0
    held_no_subscriber: int = 0  # MQTT 5 PUBACKs with reason 16: kept and sent again


class SimBox:
    def __init__(
        self,
        box_id: str,
        cameras: list[SimCamera],
        cfg: SimSettings,
        tally: Tally,
        snapshot: bytes,
        rng: random.Random,
    ) -> None:
        self.box_id, self.cameras, self.cfg, self.tally = box_id, cameras, cfg, tally
        self.snapshot, self.rng = snapshot, rng
        self.seq = 0
        self.alarm_no = 0
        self.online = False
        self.outbox: list[tuple[str, bytes, bool]] = []  # (topic, payload, is event)
        self.pending: dict[int, bool] = {}  # mid -> is an event, until the broker's PUBACK
        self.outage: Any = None  # set by the worker: an Event, set while the broker restarts
        self.outage_down = False  # dropped by the outage, not back yet
        self.outage_back_at_ms = 0  # when it was back after the outage
        self.replay: set[int] = set()  # messages the outage held up, until their PUBACK
        self.connecting_until = 0.0  # a reconnect in flight (its CONNACK not seen yet)
        self.retry_s = 1.0  # reconnect backoff, as the edge's paho: 1 s doubling to 5 s
        # MQTT 5: what went out from the outbox, until its PUBACK, and what a PUBACK with
        # reason 16 (no matching subscribers: nobody got it) sent back to wait
        self.sent: dict[int, tuple[str, bytes, bool]] = {}
        self.held: list[tuple[str, bytes, bool, bool]] = []  # (..., was held up by an outage)
        p = cfg.topic_prefix
        if cfg.mqtt5:
            self.client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=f"sim-{box_id}", protocol=mqtt.MQTTv5
            )
        else:
            self.client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id=f"sim-{box_id}",
                clean_session=False,
                protocol=mqtt.MQTTv311,
            )
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        off = encode(Availability(box_id=box_id, state="offline"))
        self.client.will_set(topic_for(p, TopicKind.AVAILABILITY, box_id), off, qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish

    # --- MQTT ------------------------------------------------------------------------------
    def _on_connect(self, c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            self.tally.refused += 1
            return
        self.online = True
        self.connecting_until = 0.0
        self.retry_s = 1.0
        self.tally.connected += 1
        from_outage = self.outage_down
        if from_outage:  # back after the outage: what it held is sent now
            self.outage_down = False
            self.outage_back_at_ms = now_ms()
            self.tally.outage_back += 1
            self.tally.outage_last_back_at_ms = max(
                self.tally.outage_last_back_at_ms, self.outage_back_at_ms
            )
        on = encode(Availability(box_id=self.box_id, state="online", at_ms=now_ms()))
        self._send(
            topic_for(self.cfg.topic_prefix, TopicKind.AVAILABILITY, self.box_id),
            on,
            False,
            retain=True,
        )
        backlog, self.outbox = self.outbox, []
        for topic, payload, is_event in backlog:  # the outbox drains in order
            self.tally.events_replayed += is_event
            mid = self._send(topic, payload, is_event)
            if from_outage and mid is not None:
                self.replay.add(mid)
                self.tally.outage_replayed += 1

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, _rc: Any, _p: Any = None) -> None:
        if self.online:
            self.tally.connected -= 1
            if self.outage is not None and self.outage.is_set() and not self.outage_back_at_ms:
                self.outage_down = True  # paho resends what was in flight on reconnect
                self.tally.outage_dropped += 1
                self.replay |= set(self.pending)
                self.tally.outage_replayed += len(self.pending)
        self.online = False
        self.connecting_until = 0.0

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        is_event = self.pending.pop(mid, None)
        kept = self.sent.pop(mid, None)
        if kept is not None and getattr(rc, "value", 0) == NO_MATCHING_SUBSCRIBERS:
            self.held.append((*kept, mid in self.replay))  # nobody got it: keep, send again
            self.replay.discard(mid)  # its new message id goes back in when it is sent
            self.tally.held_no_subscriber += 1
            return
        self.replay.discard(mid)
        if is_event is True:
            self.tally.events_acked += 1
        elif is_event is False:
            self.tally.other_acked += 1

    def _send(self, topic: str, payload: bytes, is_event: bool, retain: bool = False) -> int | None:
        """Publish now (the message id) or keep it in the outbox while offline (None)."""
        if not self.online:
            if is_event or "/snapshot/" in topic:
                self.outbox.append((topic, payload, is_event))
            return None
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if is_event:
            self.tally.events_sent += 1
        else:
            self.tally.other_sent += 1
        self.pending[info.mid] = is_event
        if self.cfg.mqtt5 and (is_event or "/snapshot/" in topic):
            self.sent[info.mid] = (topic, payload, is_event)
        return info.mid

    def send_held(self) -> None:
        """Send again, in order, what a PUBACK said nobody received (MQTT 5, reason 16)."""
        if not self.online or not self.held:
            return
        held, self.held = self.held, []
        for topic, payload, is_event, in_replay in held:
            mid = self._send(topic, payload, is_event)
            if in_replay and mid is not None:
                self.replay.add(mid)

    # --- what a box says -------------------------------------------------------------------
    def stats(self) -> None:
        cams = tuple(
            CameraStats(
                camera_id=c.camera_id,
                state="online",
                capture_fps=5.0,
                detect_fps=2.0,
                skipped_frames=0,
                inference_ms=21.0,
                queue_depth=0,
            )
            for c in self.cameras
        )
        msg = BoxStats(
            box_id=self.box_id,
            sent_ms=now_ms(),
            uptime_s=1.0,
            software_version="sim",
            model_version="sim",
            cpu_percent=40.0,
            mem_used_bytes=1 << 30,
            disk_free_bytes=8 << 30,
            outbox_depth=len(self.outbox),
            cameras=cams,
        )
        self._send(
            topic_for(self.cfg.topic_prefix, TopicKind.STATS, self.box_id), encode(msg), False
        )

    async def alarm(self, cam: SimCamera, hold_s: float, storm: bool = False) -> None:
        """One alarm's lifecycle: snapshot, new, updates while it holds, end. A storm's
        alarms carry ``s`` before their number (``STORM_EVENT``), so they can be counted."""
        self.alarm_no += 1
        self.tally.alarms_started += 1
        category = self.rng.choice(cam.categories)
        mark = "s" if storm else ""
        event_id = f"{cam.camera_id}-{cam.zone_id}-{category}-{mark}{self.alarm_no:06d}"
        high = self.rng.random() < self.cfg.high_confidence_share
        confidence = 0.97 if high else 0.6
        started = now_ms()
        snap_id = f"sn-{event_id}"
        p = self.cfg.topic_prefix
        self._send(topic_for(p, TopicKind.SNAPSHOT, self.box_id, snap_id), self.snapshot, False)
        self.tally.snapshot_bytes += len(self.snapshot)
        self._event(cam, event_id, category, "new", confidence, started, snap_id)
        end_at = time.monotonic() + hold_s
        while time.monotonic() + self.cfg.update_s < end_at:
            await asyncio.sleep(self.cfg.update_s)
            self._event(cam, event_id, category, "update", confidence, started, None)
        await asyncio.sleep(max(0.0, end_at - time.monotonic()))
        self._event(cam, event_id, category, "end", confidence, started, None)

    def _event(
        self,
        cam: SimCamera,
        event_id: str,
        category: str,
        kind: str,
        confidence: float,
        started: int,
        snap_id: str | None,
    ) -> None:
        now = now_ms()
        self.seq += 1
        ev = AlertEvent(
            type=kind,  # type: ignore[arg-type]
            event_id=event_id,
            seq=self.seq,
            box_id=self.box_id,
            camera_id=cam.camera_id,
            zone_id=cam.zone_id,
            category=category,
            rule=RULES.get(category, "waste_dump"),
            confidence=confidence,
            boxes=(
                DetectionBox(
                    xyxy_norm=(0.3, 0.5, 0.45, 0.8), confidence=confidence, class_name="waste"
                ),
            ),
            started_at_ms=started,
            updated_at_ms=now,
            ended_at_ms=now if kind == "end" else None,
            snapshot_id=snap_id,
        )
        self._send(topic_for(self.cfg.topic_prefix, TopicKind.EVENT, self.box_id), encode(ev), True)


def now_ms() -> int:
    return time.time_ns() // 1_000_000

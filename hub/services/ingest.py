"""MQTT → Redis, durably, before the broker is acknowledged.

A batch of messages is validated against the contract, written to Redis in one pipeline
(accepted alerts and verify responses to the inbox stream through one Lua call for the
whole batch, health to the edge hashes, snapshots to their keys, everything else to dead
letters with the reason and the raw bytes) and only then acknowledged, all PUBACKs in one
write. If Redis fails, nothing of the batch is acknowledged and the batch is retried; the
hub never crashes on input.

Alerts, the bulk of the traffic, take a fast path: one JSON parse and a hand check of the
contract (``alert_check.quick_alert``); anything it does not accept goes through the
contract's full decode, which names the bad value.

Subscriptions (``subscriptions``): one wide shared filter over every version and kind under
``{prefix}/+/edge/``, so a message on an unknown contract version lands in dead letters
instead of being ignored, and per-hub filters for the kinds every hub takes (health). A
copy of a per-hub kind that arrives through the wide filter, and the hub's own messages to
boxes (config, verify requests), are acknowledged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from contracts.codec import ContractError, decode
from contracts.messages import Availability, BoxStats, ConfigAck, SensorReading
from contracts.topics import Topic, TopicKind, parse_topic, shared, subscription
from hub.domain.clock import Clock
from hub.domain.rate_limit import TokenBuckets
from hub.services import stage_costs
from hub.services.alert_check import quick_alert
from hub.services.cancellation import raise_if_cancelled
from hub.services.context import HubContext
from hub.services.metrics import METRICS
from hub.services.mqtt_link import Incoming, MqttLink
from hub.settings import HubMqtt
from hub.store.keys import Keys
from hub.store.scripts import INBOX_ADD

log = logging.getLogger(__name__)
SNAPSHOT_TTL_S = 7 * 86_400
# contract: a verification sends its after frame as {request_id}.verify and the alarm frame
# it compared with as {request_id}.alarm
VERIFY_SNAPSHOT_SUFFIXES = (".verify", ".alarm")
EVERY_HUB_KINDS = frozenset({TopicKind.STATS, TopicKind.AVAILABILITY, TopicKind.CONFIG_ACK})
HUB_TO_BOX_KINDS = frozenset({TopicKind.CONFIG, TopicKind.VERIFY_REQUEST})
_TOPIC_CACHE_MAX = 100_000


def subscriptions(s: HubMqtt) -> tuple[list[str], list[str]]:
    """(per-hub filters, wide shared filters) for one hub process."""
    per_hub = [subscription(s.topic_prefix, k) for k in sorted(EVERY_HUB_KINDS)]
    return per_hub, [shared(s.shared_group, f"{s.topic_prefix}/+/edge/#")]


class Ingest:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        ctx: HubContext,
        link: MqttLink,
        clock: Clock,
        *,
        per_hub_kinds: bool = True,
    ) -> None:
        """``per_hub_kinds=False`` drops health messages whatever filter they came through
        (a swept session's: every live hub had its own copy)."""
        self.r, self.k, self.ctx, self.link, self.clock = redis, keys, ctx, link, clock
        self.per_hub_kinds = per_hub_kinds
        s = ctx.settings.ingest
        self.buckets = TokenBuckets(s.rate_per_box_per_s, s.rate_burst)
        self.prefix = ctx.settings.mqtt.topic_prefix
        self._topics: dict[str, Topic] = {}

    async def run(self) -> None:
        batch_max = self.ctx.settings.ingest.batch_max
        while True:
            raise_if_cancelled()
            batch = await self.link.take(batch_max)
            await self._write_until_done(batch)

    async def _write_until_done(self, batch: list[Incoming]) -> None:
        delay = 0.1
        while True:
            raise_if_cancelled()
            try:
                await self.write(batch)
                break
            except RedisError as exc:
                log.error("Redis write of %d messages failed (%s); retrying", len(batch), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.link.ack_batch(batch)

    async def write(self, batch: list[Incoming]) -> None:
        now = self.clock.now_ms()
        s = self.ctx.settings.ingest
        accepted = dead = 0
        inbox: list[Any] = []
        async with self.r.pipeline(transaction=False) as pipe:
            with stage_costs.cpu("parse"):
                for m in batch:
                    reason = self._one(pipe, m, now, inbox)
                    if reason is None:
                        accepted += 1
                        continue
                    if not reason:  # dropped on purpose
                        continue
                    dead += 1
                    pipe.xadd(
                        self.k.dead,
                        {
                            "reason": reason[:500],
                            "topic": m.topic[:300],
                            "size": len(m.payload),
                            "raw": m.payload[: s.dead_letter_raw_bytes],
                            "at_ms": now,
                        },
                        maxlen=s.dead_letter_max,
                        approximate=True,
                    )
                if inbox:
                    rx = time.time_ns() // 1000
                    pipe.eval(INBOX_ADD, 1, self.k.inbox, s.inbox_max, rx, *inbox)
            with stage_costs.wait("redis_ingest"):
                await pipe.execute()
        METRICS.ingested.inc(accepted)
        METRICS.dead_letters.inc(dead)
        METRICS.ingest_batch.observe(len(batch))

    def _topic(self, name: str) -> Topic:
        t = self._topics.get(name)
        if t is None:
            t = parse_topic(self.prefix, name)
            if t.kind is not TopicKind.SNAPSHOT:  # snapshot topics are one-off: not cached
                if len(self._topics) >= _TOPIC_CACHE_MAX:
                    self._topics.clear()
                self._topics[name] = t
        return t

    def _one(self, pipe: Any, m: Incoming, now: int, inbox: list[Any]) -> str | None:
        """Queue the writes for one message; a dead-letter reason, "" to drop, None if taken."""
        try:
            topic = self._topic(m.topic)
        except ContractError as exc:
            return str(exc)
        kind = topic.kind
        if kind in EVERY_HUB_KINDS and (m.wide or not self.per_hub_kinds):
            return ""  # this hub takes it through its own subscription
        if kind in HUB_TO_BOX_KINDS:
            return ""  # the hubs' own messages to boxes
        if not self.buckets.allow(topic.box_id, now):
            return f"box {topic.box_id!r} over its rate limit of {self.buckets.rate_per_s}/s"
        if kind is TopicKind.EVENT:
            a = quick_alert(m.payload, topic.box_id)
            if a is None:
                try:
                    _, msg = decode(self.prefix, m.topic, m.payload)
                except ContractError as exc:
                    return str(exc)
                a = msg.model_dump() if not isinstance(msg, bytes) else {}
            reason = self._alert_reason(a, topic.box_id)
            if reason is None:
                inbox += ("event", m.payload)
            return reason
        try:
            _, msg = decode(self.prefix, m.topic, m.payload)
        except ContractError as exc:
            return str(exc)
        edge = self.k.edge(topic.box_id)
        if kind is TopicKind.VERIFY_RESPONSE:
            inbox += ("verify", m.payload)
        elif kind is TopicKind.SNAPSHOT and isinstance(msg, bytes):
            snapshot_id = topic.item_id or ""
            pipe.set(self.k.snapshot(snapshot_id), msg, ex=self._snapshot_ttl_s(snapshot_id))
        elif isinstance(msg, BoxStats):
            pipe.hset(edge, mapping={"stats": msg.model_dump_json(), "last_seen_ms": now})
            pipe.sadd(self.k.edges, topic.box_id)
        elif isinstance(msg, Availability):
            pipe.hset(edge, mapping={"state": msg.state, "state_ms": now})
            pipe.sadd(self.k.edges, topic.box_id)
        elif isinstance(msg, ConfigAck):
            pipe.hset(edge, mapping={"config_ack": msg.model_dump_json()})
        elif isinstance(msg, SensorReading):
            pipe.hset(edge, mapping={f"sensor:{msg.sensor_id}": msg.model_dump_json()})
        else:
            return f"the hub does not take {kind.value!r} messages"
        return None

    def _snapshot_ttl_s(self, snapshot_id: str) -> int:
        """A verification's frames (``{request_id}.verify``, ``{request_id}.alarm``) are
        evidence: kept as long as ``verification.evidence_days``; others ``SNAPSHOT_TTL_S``."""
        if snapshot_id.endswith(VERIFY_SNAPSHOT_SUFFIXES):
            return self.ctx.settings.verification.evidence_days * 86_400
        return SNAPSHOT_TTL_S

    def _alert_reason(self, a: dict[str, Any], box_id: str) -> str | None:
        camera, zone, category = a.get("camera_id"), a.get("zone_id"), a.get("category")
        place = self.ctx.zones.get((str(camera), str(zone)))
        if place is None:
            return f"camera {camera!r} zone {zone!r} is not in the district"
        if place.box_id != box_id:
            return f"camera {camera!r} belongs to box {place.box_id!r}, not {box_id!r}"
        if place.grid_code is None:
            return f"zone {camera}/{zone} looks at a point in no grid"
        if self.ctx.category(str(category)) is None:
            return f"category {category!r} is not in categories.yaml"
        return None

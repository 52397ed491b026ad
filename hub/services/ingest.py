"""MQTT → Redis, durably, before the broker is acknowledged.

A batch of messages is validated against the contract, written to Redis in one pipeline
(accepted alerts and verify responses to the inbox stream, health to the edge hashes,
snapshots to their keys, everything else to dead letters with the reason and the raw bytes)
and only then acknowledged. If Redis fails, nothing of the batch is acknowledged and the
batch is retried; the hub never crashes on input.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from contracts.codec import ContractError, decode
from contracts.messages import AlertEvent, Availability, BoxStats, ConfigAck, SensorReading
from contracts.topics import TopicKind
from hub.domain.clock import Clock
from hub.domain.rate_limit import TokenBuckets
from hub.services.context import HubContext
from hub.services.metrics import METRICS
from hub.services.mqtt_link import Incoming, MqttLink
from hub.store.keys import Keys

log = logging.getLogger(__name__)
SNAPSHOT_TTL_S = 7 * 86_400


class Ingest:
    def __init__(
        self, redis: Redis, keys: Keys, ctx: HubContext, link: MqttLink, clock: Clock
    ) -> None:
        self.r, self.k, self.ctx, self.link, self.clock = redis, keys, ctx, link, clock
        s = ctx.settings.ingest
        self.buckets = TokenBuckets(s.rate_per_box_per_s, s.rate_burst)
        self.prefix = ctx.settings.mqtt.topic_prefix

    async def run(self) -> None:
        q = self.link.queue
        batch_max = self.ctx.settings.ingest.batch_max
        while True:
            batch = [await q.get()]
            while len(batch) < batch_max and not q.empty():
                batch.append(q.get_nowait())
            await self._write_until_done(batch)

    async def _write_until_done(self, batch: list[Incoming]) -> None:
        delay = 0.1
        while True:
            try:
                await self.write(batch)
                break
            except RedisError as exc:
                log.error("Redis write of %d messages failed (%s); retrying", len(batch), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        for m in batch:
            if m.qos > 0:
                self.link.ack(m.mid, m.qos)

    async def write(self, batch: list[Incoming]) -> None:
        now = self.clock.now_ms()
        s = self.ctx.settings.ingest
        accepted = dead = 0
        async with self.r.pipeline(transaction=False) as pipe:
            for m in batch:
                reason = self._one(pipe, m, now)
                if reason is None:
                    accepted += 1
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
            await pipe.execute()
        METRICS.ingested.inc(accepted)
        METRICS.dead_letters.inc(dead)
        METRICS.ingest_batch.observe(len(batch))

    def _one(self, pipe: Any, m: Incoming, now: int) -> str | None:
        """Queue the writes for one message; return a dead-letter reason or None."""
        try:
            topic, msg = decode(self.prefix, m.topic, m.payload)
        except ContractError as exc:
            return str(exc)
        if not self.buckets.allow(topic.box_id, now):
            return f"box {topic.box_id!r} over its rate limit of {self.buckets.rate_per_s}/s"
        kind = topic.kind
        edge = self.k.edge(topic.box_id)
        if isinstance(msg, AlertEvent):
            place = self.ctx.zones.get((msg.camera_id, msg.zone_id))
            if place is None:
                return f"camera {msg.camera_id!r} zone {msg.zone_id!r} is not in the district"
            if place.box_id != topic.box_id:
                return f"camera {msg.camera_id!r} belongs to box {place.box_id!r}, not {topic.box_id!r}"
            if place.grid_code is None:
                return f"zone {msg.camera_id}/{msg.zone_id} looks at a point in no grid"
            if self.ctx.category(msg.category) is None:
                return f"category {msg.category!r} is not in categories.yaml"
            self._inbox(pipe, "event", m.payload, now)
        elif kind is TopicKind.VERIFY_RESPONSE:
            self._inbox(pipe, "verify", m.payload, now)
        elif kind is TopicKind.SNAPSHOT and isinstance(msg, bytes):
            pipe.set(self.k.snapshot(topic.item_id or ""), msg, ex=SNAPSHOT_TTL_S)
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

    def _inbox(self, pipe: Any, kind: str, payload: bytes, now: int) -> None:
        pipe.xadd(
            self.k.inbox,
            {"k": kind, "p": payload, "rx": time.time_ns() // 1000},
            maxlen=self.ctx.settings.ingest.inbox_max,
            approximate=True,
        )

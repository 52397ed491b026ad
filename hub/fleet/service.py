"""Fleet service: health checks and alarms on a timer, config rollouts and their acks.

Alarms are raised once across hub processes (``SADD`` decides who reports); each raise and
clear lands on the change stream (kind ``fleet``) that the wall and consoles follow.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any

from redis.asyncio import Redis

from contracts.codec import encode
from contracts.messages import BoxStats, ConfigAck, RemoteConfig
from contracts.topics import TopicKind, topic_for
from hub.district import District
from hub.domain.clock import Clock
from hub.fleet.health import (
    AlarmChange,
    BoxHealth,
    active_alarms,
    alarm_changes,
    box_health,
    health_expires_ms,
    parse_stats,
)
from hub.fleet.link import FleetLink
from hub.fleet.rollout import next_status, pick_boxes, summary
from hub.fleet.settings import FleetSettings
from hub.services.cancellation import raise_if_cancelled
from hub.store.keys import Keys

log = logging.getLogger(__name__)

RECORD_FIELDS = ("state", "state_ms", "last_seen_ms", "config_ack")
"""The fields of a box's record its health is built from (the heartbeat is read apart)."""
RECONCILE_S = 30
"""Every box's alarms are compared with Redis's raised set at least this often."""
READ_RECORDS = """
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('HMGET', key, unpack(ARGV))
end
return out
"""
"""Every box's small fields in one reply: a pipeline of 1,000 HMGETs cost the hub 1,000
replies to parse a second. The records share the district's hash tag (one Cluster slot)."""


def alarms_key(prefix: str) -> str:
    """The hash of active fleet alarms (key → JSON), which the wall reads to grey cameras."""
    return f"{prefix}:fleet:alarms"


def _s(x: bytes | str) -> str:
    return x.decode() if isinstance(x, bytes) else x


class FleetService:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        district: District,
        settings: FleetSettings,
        clock: Clock,
        topic_prefix: str,
        link: FleetLink | None,
        changes_max: int = 200_000,
    ) -> None:
        self.r, self.k, self.district, self.settings, self.clock = (
            redis,
            keys,
            district,
            settings,
            clock,
        )
        self.topic_prefix = topic_prefix
        self.link = link
        self.changes_max = changes_max
        # box -> its cameras, once: health() asks for every box every check_interval_s, and a
        # scan of the whole registry per box was B x C (1,000 x 12,000) a second
        by_box: dict[str, list[str]] = {}
        for cam in district.cameras.values():
            by_box.setdefault(cam.box_id, []).append(cam.camera_id)
        self._cameras_by_box = {b: tuple(sorted(c)) for b, c in by_box.items()}
        self._district_boxes = frozenset(by_box)
        self._read_records = redis.register_script(READ_RECORDS)
        # Health is kept per box and recomputed only when the box's record changes or its
        # heartbeat times out: the check runs every second and a box speaks every 10 s, so
        # rebuilding 1,000 boxes x 12 cameras a second was most of a county hub's fleet cost.
        # box -> (the record's small fields, when that health expires, the health)
        self._health: dict[str, tuple[tuple[str | None, ...], int | None, BoxHealth]] = {}
        # box -> (the heartbeat's last_seen_ms, its parse): the ~2 KB heartbeat is read and
        # parsed only when a new one came
        self._stats: dict[str, tuple[str | None, tuple[BoxStats | None, dict[str, Any] | None]]]
        self._stats = {}
        # box -> the alarm keys last compared with Redis's raised set: only a box whose alarms
        # changed is compared again (every box each RECONCILE_S, in case Redis lost some)
        self._compared: dict[str, frozenset[str]] = {}
        self._checked: dict[str, BoxHealth] = {}
        self._reconciled_ms: int | None = None

    def _key(self, *parts: str) -> str:
        return ":".join((self.k.prefix, "fleet", *parts))

    def cameras_of(self, box_id: str) -> tuple[str, ...]:
        return self._cameras_by_box.get(box_id, ())

    async def box_ids(self) -> list[str]:
        seen = {_s(b) for b in await self.r.smembers(self.k.edges)}
        return sorted(seen | self._district_boxes)

    async def health(self) -> list[BoxHealth]:
        now = self.clock.now_ms()
        boxes = await self.box_ids()
        rows = await self._read_records(keys=[self.k.edge(b) for b in boxes], args=RECORD_FIELDS)
        out: dict[str, BoxHealth] = {}
        stale: dict[str, dict[str, str]] = {}
        for b, row in zip(boxes, rows, strict=True):
            fields = tuple(None if v is None else _s(v) for v in row)
            kept = self._health.get(b)
            if kept is not None and kept[0] == fields and (kept[1] is None or now < kept[1]):
                out[b] = kept[2]
            else:
                stale[b] = {k: v for k, v in zip(RECORD_FIELDS, fields, strict=True) if v}
        new_beats = [
            b
            for b, rec in stale.items()
            if self._stats.get(b, (None,))[0] != rec.get("last_seen_ms")
        ]
        if new_beats:
            async with self.r.pipeline(transaction=False) as pipe:
                for b in new_beats:
                    pipe.hget(self.k.edge(b), "stats")
                beats = await pipe.execute()
            for b, raw in zip(new_beats, beats, strict=True):
                self._stats[b] = (
                    stale[b].get("last_seen_ms"),
                    parse_stats(_s(raw) if raw else None),
                )
        timeout_s = self.settings.heartbeat_timeout_s
        for b, rec in stale.items():
            parsed = self._stats[b][1] if b in self._stats else (None, None)
            h = box_health(b, rec, now, timeout_s, self.cameras_of(b), parsed)
            fields = tuple(rec.get(k) for k in RECORD_FIELDS)
            self._health[b] = (fields, health_expires_ms(rec, now, timeout_s), h)
            out[b] = h
        return [out[b] for b in boxes]

    # --- alarms --------------------------------------------------------------------------
    async def check(self) -> list[AlarmChange]:
        """One pass: raise or clear fleet alarms; returns what this process reported. Only
        boxes whose alarms changed since the last pass are compared with the raised set in
        Redis (every box once each ``RECONCILE_S``)."""
        now = self.clock.now_ms()
        reported: list[AlarmChange] = []
        full = self._reconciled_ms is None or now - self._reconciled_ms >= RECONCILE_S * 1000
        if full:
            self._reconciled_ms = now
        todo: list[tuple[BoxHealth, dict[str, tuple[str | None, str]]]] = []
        for h in await self.health():
            if not full and self._checked.get(h.box_id) is h:
                continue  # the same health object: nothing about this box changed
            self._checked[h.box_id] = h
            active = active_alarms(h)
            if full or self._compared.get(h.box_id) != active.keys():
                todo.append((h, active))
        async with self.r.pipeline(transaction=False) as pipe:
            for h, _ in todo:  # one round trip for the boxes' raised alarms, not one per box
                pipe.smembers(self._key("raised", h.box_id))
            raised_now = await pipe.execute() if todo else []
        for (h, active), raw in zip(todo, raised_now, strict=True):
            self._compared[h.box_id] = frozenset(active)
            raised_key = self._key("raised", h.box_id)
            raised = {_s(x) for x in raw}
            for ch in alarm_changes(h.box_id, raised, active, now):
                if ch.action == "raise":
                    first = await self.r.sadd(raised_key, ch.key)
                    if first:
                        await self.r.hset(
                            alarms_key(self.k.prefix), ch.key, json.dumps(ch.to_dict())
                        )
                else:
                    first = await self.r.srem(raised_key, ch.key)
                    if first:
                        await self.r.hdel(alarms_key(self.k.prefix), ch.key)
                if first:
                    await self._announce(ch.key, ch.to_dict() | {"kind": "alarm"})
                    reported.append(ch)
        await self._time_out_rollouts(now)
        return reported

    async def alarms(self) -> list[dict[str, Any]]:
        raw = await self.r.hvals(alarms_key(self.k.prefix))
        return sorted((json.loads(x) for x in raw), key=lambda a: a["at_ms"])

    async def _announce(self, ref: str, body: dict[str, Any]) -> None:
        await self.r.xadd(
            self.k.changes,
            {"kind": "fleet", "alarm_key": ref, "event": json.dumps(body, ensure_ascii=False)},
            maxlen=self.changes_max,
            approximate=True,
        )

    # --- rollouts ------------------------------------------------------------------------
    async def push_config(
        self,
        config: dict[str, Any],
        issued_by: str,
        boxes: list[str] | None = None,
        group: str | None = None,
        config_id: str | None = None,
    ) -> dict[str, Any]:
        """Publish ``config`` (retained) to the boxes; ``config_id`` when the caller must
        know it before any box can answer (the zone editor), else a fresh one."""
        if self.link is None:
            raise RuntimeError("the fleet has no MQTT link on this hub")
        targets = pick_boxes(await self.box_ids(), boxes, group)
        if "box_id" in config:
            raise ValueError("a pushed config may not set box_id (each box keeps its own)")
        now = self.clock.now_ms()
        config_id = config_id or f"cfg-{now}-{secrets.token_hex(4)}"
        remote = RemoteConfig(config_id=config_id, issued_ms=now, config=config)
        payload = encode(remote)  # refuses an oversized config before anything is sent
        meta = {"config_id": config_id, "issued_ms": now, "issued_by": issued_by, "boxes": targets}
        await self.r.hset(
            self._key("rollout", config_id),
            mapping={
                "_meta": json.dumps(meta),
                **{b: json.dumps({"status": "pending", "at_ms": now}) for b in targets},
            },
        )
        await self.r.zadd(self._key("rollouts"), {config_id: now})
        for b in targets:
            self.link.publish(
                topic_for(self.topic_prefix, TopicKind.CONFIG, b), payload, retain=True
            )
        return await self.rollout(config_id) or {}

    async def rollout(self, config_id: str) -> dict[str, Any] | None:
        raw = await self.r.hgetall(self._key("rollout", config_id))
        if not raw:
            return None
        h = {_s(k): _s(v) for k, v in raw.items()}
        meta = json.loads(h.pop("_meta"))
        boxes = {b: json.loads(v) for b, v in sorted(h.items())}
        out: dict[str, Any] = meta | {
            "status": boxes,
            "summary": summary(v["status"] for v in boxes.values()),
        }
        return out

    async def on_ack(self, ack: ConfigAck) -> str | None:
        key = self._key("rollout", ack.config_id)
        cur = await self.r.hget(key, ack.box_id)
        if cur is None:
            return None  # not a rollout of ours (a local config, or an old one)
        old = json.loads(cur)
        status = next_status(old["status"], ack.status)
        if status != old["status"] or ack.reason != old.get("reason"):
            entry = {"status": status, "at_ms": ack.at_ms, "reason": ack.reason}
            await self.r.hset(key, ack.box_id, json.dumps(entry))
            if status in ("rolled_back", "rejected"):
                await self._announce(
                    f"config:{ack.box_id}",
                    {"kind": "config", "box_id": ack.box_id} | entry | {"config_id": ack.config_id},
                )
        return status

    async def _time_out_rollouts(self, now: int) -> None:
        since = now - int(self.settings.rollout_timeout_s * 1000)
        stale: list[Any] = await self.r.zrangebyscore(self._key("rollouts"), "-inf", since)
        for cid in stale:
            key = self._key("rollout", _s(cid))
            for box, v in (await self.r.hgetall(key)).items():
                b = _s(box)
                if b != "_meta" and json.loads(v)["status"] == "pending":
                    await self.r.hset(key, b, json.dumps({"status": "timed_out", "at_ms": now}))
            await self.r.zrem(self._key("rollouts"), cid)

    # --- the loops -----------------------------------------------------------------------
    async def run(self) -> None:
        tasks = [asyncio.create_task(self._check_loop())]
        if self.link is not None:
            tasks.append(asyncio.create_task(self._ack_loop()))
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()

    async def _check_loop(self) -> None:
        while True:
            raise_if_cancelled()
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fleet check failed")
            await asyncio.sleep(self.settings.check_interval_s)

    async def _ack_loop(self) -> None:
        assert self.link is not None
        while True:
            raise_if_cancelled()
            ack = await self.link.acks.get()
            try:
                await self.on_ack(ack)
            except Exception:
                log.exception("fleet could not record ack %s", ack)

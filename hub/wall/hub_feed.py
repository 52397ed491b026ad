"""The wall follows the hub's change stream (``{prefix}:changes``, what ``GET /api/stream``
serves): queued alarms, case events, cleared and rejected alarms, fleet alarms.

It reads in a consumer group (``wall``), so with several hub workers each change is applied
to the wall once, and a restarted worker carries on where its group left off. Within a
batch, case events are coalesced per case (the wall rereads the case's log once), and are
applied after the batch's alarm changes, so an alarm queued and confirmed in one batch
ends as the case. Changes a crashed worker read but never acknowledged are claimed by
another after ``CLAIM_IDLE_MS``. A change that cannot be applied is logged and skipped,
never fatal.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from redis.exceptions import RedisError, ResponseError

from hub.api.alarms import alarm_row
from hub.runtime import HubRuntime
from hub.services.cancellation import raise_if_cancelled
from hub.store.keys import text
from hub.wall.alarm_desk import AlarmDesk

log = logging.getLogger(__name__)
GROUP = "wall"
BATCH = 200
CLAIM_IDLE_MS = 30_000  # a worker that held changes this long without acking is gone


class HubFeed:
    def __init__(self, rt: HubRuntime, desk: AlarmDesk, consumer: str) -> None:
        self.rt = rt
        self.desk = desk
        self.consumer = consumer
        self.stream = rt.keys.changes
        self.skipped = 0  # changes that could not be applied (logged)

    async def ensure_group(self) -> None:
        """Join the group. A new group starts at the stream's end (history is not replayed)
        and the wall is seeded with what waits in the hub's verification queue now."""
        try:
            await self.rt.redis.xgroup_create(self.stream, GROUP, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
            return
        await self.seed()

    async def seed(self) -> int:
        """Show every alarm queued in the hub, from its alarm record (the latest boxes, on
        the snapshot their alert named)."""
        keys: Any = await self.rt.redis.zrange(self.rt.keys.vqueue, 0, 999)
        for k in keys:
            key = text(k)
            a = alarm_row(await self.rt.redis.hgetall(self.rt.keys.alarm(key)))
            camera, zone, category = key.split(":")
            snapshot = a.get("snapshot_id") or None
            alert = {
                "camera_id": camera,
                "zone_id": zone,
                "category": category,
                "confidence": float(a.get("confidence") or 0),
                "boxes": a["boxes"],
                "snapshot_id": (a.get("boxes_snapshot_id") or snapshot) if a["boxes"] else snapshot,
                "started_at_ms": int(a.get("first_ms") or self.rt.clock.now_ms()),
            }
            try:
                await self.desk.on_queued(key, alert)
            except Exception:
                self.skipped += 1
                log.exception("wall feed: queued alarm %s not shown", key)
        return len(keys)

    async def run(self) -> None:
        await self.ensure_group()
        await self.step(start="0")  # our own entries from before a restart
        while True:
            raise_if_cancelled()
            try:
                if await self.step(block_ms=1000) == 0:
                    await self.claim_stale()
            except RedisError as exc:
                log.error("wall feed: reading the change stream failed: %s", exc)
                await asyncio.sleep(0.5)

    async def step(self, block_ms: int | None = None, start: str = ">") -> int:
        """Read and apply one batch; returns how many changes it held."""
        resp: Any = await self.rt.redis.xreadgroup(
            GROUP, self.consumer, {self.stream: start}, count=BATCH, block=block_ms
        )
        entries = resp[0][1] if resp else []
        if entries:
            await self.handle(entries)
            await self.rt.redis.xack(self.stream, GROUP, *[i for i, _ in entries])
        return len(entries)

    async def claim_stale(self, idle_ms: int = CLAIM_IDLE_MS) -> int:
        """Take over changes another worker read but never acknowledged (it crashed)."""
        res: Any = await self.rt.redis.xautoclaim(
            self.stream, GROUP, self.consumer, idle_ms, start_id="0-0", count=BATCH
        )
        entries = res[1] if res else []
        if entries:
            await self.handle(entries)
            await self.rt.redis.xack(self.stream, GROUP, *[i for i, _ in entries])
        return len(entries)

    async def handle(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        """Apply a batch in order; consecutive queued alarms go to the wall together (an
        alarm storm is hundreds of them), case events once per case after the rest."""
        cases: dict[str, set[str]] = {}
        queued: list[tuple[str, dict[str, Any]]] = []
        for entry_id, fields in entries:
            if not fields:
                continue
            try:
                kind = text(fields.get(b"kind", b""))
                body = json.loads(fields.get(b"event", b"{}"))
                if kind == "case":
                    cases.setdefault(text(fields[b"case_no"]), set()).add(str(body.get("action")))
                elif kind == "alarm_queued":
                    queued.append((text(fields.get(b"alarm_key", b"")), body))
                else:
                    await self._queued(queued)
                    await self._one(kind, text(fields.get(b"alarm_key", b"")), body)
            except Exception:  # the wall must keep following: log, count, go on
                self.skipped += 1
                log.exception("wall feed: change %s not applied", text(entry_id))
        await self._queued(queued)
        for case_no, actions in cases.items():
            try:
                await self.desk.on_case(case_no, actions)
            except Exception:
                self.skipped += 1
                log.exception("wall feed: case %s not applied", case_no)

    async def _queued(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """Queued alarms held back so far, together; the list is emptied."""
        if not items:
            return
        batch = list(items)
        items.clear()
        try:
            await self.desk.on_queued_many(batch)
            return
        except Exception:  # one bad alarm: the others go one at a time, the bad one skipped
            log.warning("wall feed: %d queued alarms together failed; one at a time", len(batch))
        for key, body in batch:
            try:
                await self.desk.on_queued(key, body)
            except Exception:  # the wall must keep following: log, count, go on
                self.skipped += 1
                log.exception("wall feed: queued alarm %s not applied", key)

    async def _one(self, kind: str, key: str, body: dict[str, Any]) -> None:
        if kind == "alarm_queued":
            await self.desk.on_queued(key, body)
        elif kind in ("alarm_cleared", "alarm_rejected"):
            at = int(body.get("at_ms") or self.rt.clock.now_ms())
            await self.desk.on_alarm_gone(key, at, rejected=kind == "alarm_rejected")
        elif kind == "fleet" and body.get("kind") == "alarm":
            await self.desk.on_fleet(body)

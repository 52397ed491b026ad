"""The live KPI counters follow the hub's change stream (``{root}:changes``) in a consumer
group (``kpis``), and tell the wall's live streams when figures moved.

Why a consumer and not a step inside the append script: every case event of every writer
(correlation, intake, supervision, departments) already lands on the change stream in the
append's atomic step, so one reader covers them all without the append knowing the
district (time zone, tiers, grid parents) the counters need; and the fold is idempotent on
the event id (``hub.domain.kpi_counters.fold``), so a redelivery after a crash, two workers
on two events of one case, or a backfill over cases already counted change nothing. Each
batch reads the log of each case it names once and counts the case as its whole log shows
it: an older event arriving later is then already counted.

After a restart the group hands back what this consumer read and never acknowledged; a
worker gone for good has its entries claimed after ``CLAIM_IDLE_MS``. At start the cases of
the last ``BACKFILL_DAYS`` are folded again (nothing changes for those already counted),
which covers a change stream trimmed while no hub ran.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from hub.domain.clock import Clock
from hub.kpis.counters import KpiCounters
from hub.services.cancellation import raise_if_cancelled, stop_tasks
from hub.store.cases import CaseStore
from hub.store.keys import Keys, text
from hub.wall.store import WallStore

log = logging.getLogger(__name__)
GROUP = "kpis"
BATCH = 500
CLAIM_IDLE_MS = 30_000
BACKFILL_DAYS = 7
CHUNK = 500


class KpiFollower:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        store: CaseStore,
        counters: KpiCounters,
        clock: Clock,
        consumer: str,
    ) -> None:
        self.r, self.k, self.store, self.counters = redis, keys, store, counters
        self.clock = clock
        self.consumer = consumer
        self.batch = BATCH
        self.folded = 0  # case shares that changed the counters
        self.skipped = 0  # cases that could not be counted (logged)

    @property
    def channel(self) -> str:
        """The wall's change channel, where the live streams hear of changes."""
        return WallStore(self.r, self.k.prefix).channel

    async def ensure_group(self) -> None:
        try:
            await self.r.xgroup_create(self.k.changes, GROUP, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def backfill(self, days: int = BACKFILL_DAYS) -> int:
        """Fold every case created in the last ``days``; returns how many changed counters."""
        since = self.clock.now_ms() - days * 86_400_000
        changed, start = 0, 0
        while True:
            raw: Any = await self.r.zrangebyscore(
                self.k.cases, since, "+inf", start=start, num=CHUNK
            )
            numbers = [text(x) for x in raw]
            if not numbers:
                return changed
            start += CHUNK
            changed += await self.fold_cases(numbers)

    async def fold_cases(self, numbers: list[str]) -> int:
        n = 0
        for no in numbers:
            try:
                n += await self.counters.fold(no, await self.store.view(no))
            except (RedisError, OSError):
                raise
            except Exception:  # one bad log never stops the counting of others
                self.skipped += 1
                log.exception("kpis: case %s not counted", no)
        self.folded += n
        return n

    async def run(self) -> None:
        """Follow the stream; the backfill runs beside it (the fold is idempotent and atomic
        per case, so the two may count one case in either order), so live events are not
        held up behind a restart's backfill."""
        await self.ensure_group()
        backfill = asyncio.create_task(self._backfill_logged(), name="kpis-backfill")
        try:
            await self.step(start="0")  # our own entries from before a restart
            while True:
                raise_if_cancelled()
                try:
                    if await self.step(block_ms=1000) == 0:
                        await self.claim_stale()
                except (RedisError, OSError) as exc:
                    log.error("kpis: reading the change stream failed: %s", exc)
                    await asyncio.sleep(0.5)
        finally:
            await stop_tasks([backfill])

    async def _backfill_logged(self) -> None:
        try:
            n = await self.backfill()
        except (RedisError, OSError) as exc:
            log.error("kpis: the backfill at start failed: %s", exc)
            return
        if n:
            log.info("kpis: %d cases counted by the backfill at start", n)

    async def step(self, block_ms: int | None = None, start: str = ">") -> int:
        resp: Any = await self.r.xreadgroup(
            GROUP, self.consumer, {self.k.changes: start}, count=self.batch, block=block_ms
        )
        entries = resp[0][1] if resp else []
        await self._handle(entries)
        return len(entries)

    async def claim_stale(self, idle_ms: int = CLAIM_IDLE_MS) -> int:
        res: Any = await self.r.xautoclaim(
            self.k.changes, GROUP, self.consumer, idle_ms, start_id="0-0", count=self.batch
        )
        entries = res[1] if res else []
        await self._handle(entries)
        return len(entries)

    async def _handle(self, entries: list[tuple[Any, dict[Any, Any]]]) -> None:
        if not entries:
            return
        numbers = list(
            dict.fromkeys(
                text(f[b"case_no"])
                for _, f in entries
                if f and f.get(b"kind") == b"case" and b"case_no" in f
            )
        )
        changed = await self.fold_cases(numbers) if numbers else 0
        await self.r.xack(self.k.changes, GROUP, *[i for i, _ in entries])
        if changed:
            await self.r.publish(self.channel, json.dumps({"wall": "*", "kind": "kpis"}))

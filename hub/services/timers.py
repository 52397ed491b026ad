"""Timers that survive a restart: a Redis sorted set of ``kind|id|…`` members by due time.

A worker claims a due timer by pushing its score a lease into the future (atomically),
handles it, then removes it; a worker that dies mid-way leaves the timer to fire again after
the lease. Handlers are idempotent (an escalation checks the case is still at that step).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from hub.domain.clock import Clock
from hub.domain.verification import parse_timer
from hub.services.cancellation import raise_if_cancelled
from hub.services.cases import CaseService, dumps
from hub.services.context import HubContext
from hub.store.keys import Keys
from hub.store.scripts import CLAIM_TIMER

log = logging.getLogger(__name__)
LEASE_MS = 60_000


class Timers:
    def __init__(
        self, redis: Redis, keys: Keys, ctx: HubContext, cases: CaseService, clock: Clock
    ) -> None:
        self.r, self.k, self.ctx, self.cases, self.clock = redis, keys, ctx, cases, clock
        self._claim = redis.register_script(CLAIM_TIMER)

    async def run(self, interval_s: float = 0.25) -> None:
        while True:
            raise_if_cancelled()
            try:
                await self.run_due()
            except RedisError as exc:
                log.error("timer sweep failed: %s", exc)
            await asyncio.sleep(interval_s)

    async def run_due(self) -> int:
        """Fire every timer due by the clock's now; returns how many changed something."""
        now = self.clock.now_ms()
        due: Any = await self.r.zrangebyscore(self.k.timers, "-inf", now, start=0, num=500)
        fired = 0
        for raw in due:
            member = raw.decode() if isinstance(raw, bytes) else str(raw)
            if not await self._claim(keys=[self.k.timers], args=[member, now, now + LEASE_MS]):
                continue
            try:
                did = await self._fire(member, now)
            except Exception:  # one broken timer must not stop the others; it fires again
                log.exception("timer %s failed; retried after the lease", member)
                continue
            await self.r.zrem(self.k.timers, member)
            fired += did
        return fired

    async def _fire(self, member: str, now: int) -> bool:
        kind, _, rest = member.partition("|")
        if kind == "esc":
            no, step = rest.rsplit("|", 1)
            return await self.cases.escalate_if_due(no, int(step))
        if kind == "clear":
            return await self._clear(rest, now)
        if kind == "vto":
            return await self.cases.verification_timeout(*parse_timer(rest))
        log.warning("unknown timer %r dropped", member)
        return False

    async def _clear(self, key: str, now: int) -> bool:
        a = self.k.alarm(key)
        state, gone = await self.r.hmget(a, ["state", "gone_ms"])
        if state != b"ending" or gone is None:
            return False
        if now < int(gone) + self.ctx.rules.clear_after_ms:
            return False
        await self.r.hset(a, mapping={"state": "cleared", "cleared_ms": now})
        await self.r.xadd(
            self.k.changes,
            {"kind": "alarm_cleared", "alarm_key": key, "event": dumps({"at_ms": now})},
            maxlen=self.ctx.settings.ingest.changes_max,
            approximate=True,
        )
        return True

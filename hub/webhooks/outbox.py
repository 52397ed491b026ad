"""The durable queue of webhook deliveries, in Redis (nothing lives only in a process).

- ``{p}:webhooks:jobs``: hash, delivery id → JSON ``{hook, body, attempts, last_error}``;
- ``{p}:webhooks:due``: sorted set, delivery id → when it may be tried (ms, the hub clock).
  A process that takes a delivery pushes its time on by a lease first, so a hub that dies
  mid-POST leaves it to be tried again when the lease ends (at least once);
- ``{p}:webhooks:dead``: stream of deliveries that failed ``max_attempts`` times, with the
  last error (``GET /api/intake/webhooks/dead``);
- ``{p}:webhooks:stats:{hook}``: hash of counts (delivered, failed attempts, dead) and the
  last error and success times, for ``GET /api/intake/webhooks``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from hub.store.keys import text

DEAD_MAX = 10_000
CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""


@dataclass(frozen=True)
class Job:
    delivery: str
    hook: str
    body: str
    attempts: int


class Outbox:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.r = redis
        self.jobs = f"{prefix}:webhooks:jobs"
        self.due = f"{prefix}:webhooks:due"
        self.dead = f"{prefix}:webhooks:dead"
        self._stats = f"{prefix}:webhooks:stats"
        self._claim = redis.register_script(CLAIM)

    def stats_key(self, hook: str) -> str:
        return f"{self._stats}:{hook}"

    def enqueue_commands(self, delivery: str, hook: str, body: str, now_ms: int) -> list[Any]:
        """The commands that queue a delivery (once: a delivery id queued again is kept)."""
        job = json.dumps({"hook": hook, "body": body, "attempts": 0})
        return [("HSETNX", self.jobs, delivery, job), ("ZADD", self.due, "NX", now_ms, delivery)]

    async def claim(self, now_ms: int, lease_ms: int, limit: int = 50) -> list[Job]:
        """Deliveries due now, each leased to this process for ``lease_ms``."""
        ids: Any = await self._claim(keys=[self.due], args=[now_ms, now_ms + lease_ms, limit])
        if not ids:
            return []
        raw: Any = await self.r.hmget(self.jobs, ids)
        out = []
        for delivery, job in zip(ids, raw, strict=True):
            if job is None:  # finished by another process meanwhile
                await self.r.zrem(self.due, delivery)
                continue
            d = json.loads(job)
            out.append(Job(text(delivery), d["hook"], d["body"], int(d["attempts"])))
        return out

    async def delivered(self, job: Job, now_ms: int) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.zrem(self.due, job.delivery)
            pipe.hdel(self.jobs, job.delivery)
            pipe.hincrby(self.stats_key(job.hook), "delivered", 1)
            pipe.hset(self.stats_key(job.hook), "last_delivered_ms", now_ms)
            await pipe.execute()

    async def failed(self, job: Job, error: str, now_ms: int, retry_at_ms: int | None) -> None:
        """One more failed attempt: tried again at ``retry_at_ms``, or dead-lettered (None)."""
        attempts = job.attempts + 1
        stats = self.stats_key(job.hook)
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hincrby(stats, "failed_attempts", 1)
            pipe.hset(stats, mapping={"last_error": error[:500], "last_error_ms": now_ms})
            if retry_at_ms is None:
                entry: dict[Any, Any] = {
                    "delivery": job.delivery,
                    "hook": job.hook,
                    "body": job.body,
                    "attempts": attempts,
                    "error": error[:500],
                    "at_ms": now_ms,
                }
                pipe.xadd(self.dead, entry, maxlen=DEAD_MAX, approximate=True)
                pipe.hincrby(stats, "dead", 1)
                pipe.zrem(self.due, job.delivery)
                pipe.hdel(self.jobs, job.delivery)
            else:
                job_json = {"hook": job.hook, "body": job.body, "attempts": attempts}
                pipe.hset(self.jobs, job.delivery, json.dumps(job_json | {"last_error": error}))
                pipe.zadd(self.due, {job.delivery: retry_at_ms})
            await pipe.execute()

    async def pending(self) -> dict[str, int]:
        """Deliveries waiting per hook."""
        raw: Any = await self.r.hvals(self.jobs)
        out: dict[str, int] = {}
        for job in raw:
            hook = json.loads(job)["hook"]
            out[hook] = out.get(hook, 0) + 1
        return out

    async def stats(self, hook: str) -> dict[str, str]:
        raw: Any = await self.r.hgetall(self.stats_key(hook))
        return {text(k): text(v) for k, v in raw.items()}

    async def dead_letters(self, count: int) -> list[dict[str, Any]]:
        rows: Any = await self.r.xrevrange(self.dead, count=count)
        out = []
        for entry_id, f in rows:
            d = {text(k): text(v) for k, v in f.items()}
            out.append(
                d | {"id": text(entry_id), "attempts": int(d["attempts"]), "at_ms": int(d["at_ms"])}
            )
        return out

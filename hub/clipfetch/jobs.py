"""The clip jobs in Redis: a sorted set of case numbers scored by when each is due, and one
hash per job with its state, tries and last reason.

| key | what |
|---|---|
| ``{prefix}:clipjobs`` | ZSET case number → the time (Unix ms) its next try is due |
| ``{prefix}:clipjobs:gave_up`` | ZSET case number → when its job gave up |
| ``{prefix}:clipjob:{case_no}`` | HASH ``ClipJob`` fields + ``state`` (pending, done, gave_up, skipped) and ``finished_ms`` |

Enqueued by the records copier (synchronous, inside its batch: ``enqueue_closes``), once per
case: a job hash that exists is never made again, so a replayed or rebuilt log, or a case
reopened and closed again, does not fetch twice. A worker claims a due job by moving its
score a lease ahead (one Lua call), so several hubs share the queue; a worker that dies
mid-fetch leaves the job to be claimed again when the lease runs out. A finished job leaves
the set and its hash stays ``KEEP_S`` with its state and reason: a given-up job is visible
(``python -m hub records status`` lists the last ones with their reasons).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import redis
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from hub.clipfetch.plan import ClipJob, job_for_close
from hub.domain.case_state import CaseEvent
from hub.store.keys import Keys, text_map

log = logging.getLogger(__name__)
KEEP_S = 180 * 86_400
LEAD_MS = 24 * 3_600_000  # as hub/video/recording_release.py: an alarm may wait for an operator
CLAIM = """
local m = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #m == 0 then return false end
redis.call('ZADD', KEYS[1], ARGV[2], m[1])
return m[1]
"""


def fields_of(job: ClipJob) -> dict[FieldT, EncodableT]:
    return dict(job.to_fields().items())


def queue_key(k: Keys) -> str:
    return f"{k.prefix}:clipjobs"


def gave_up_key(k: Keys) -> str:
    return f"{k.prefix}:clipjobs:gave_up"


def job_key(k: Keys, case_no: str) -> str:
    return f"{k.prefix}:clipjob:{case_no}"


class ClipEnqueuer:
    """Makes the job of every close among copied events (synchronous Redis: the copier's)."""

    def __init__(self, r: redis.Redis, keys: Keys, give_up_ms: int) -> None:
        self.r, self.k, self.give_up_ms = r, keys, give_up_ms

    def enqueue_closes(self, found: Sequence[tuple[str, CaseEvent]]) -> int:
        made = 0
        for no, ev in found:
            if ev.action != "close":
                continue
            record = text_map(self.r.hgetall(self.k.case(no)))
            job = job_for_close(no, record, ev.at_ms, LEAD_MS, self.give_up_ms)
            if job is not None and self.enqueue(job, ev.at_ms):
                made += 1
        return made

    def enqueue(self, job: ClipJob, due_ms: int) -> bool:
        """False when the case has (or had) a job already."""
        key = job_key(self.k, job.case_no)
        if not self.r.hsetnx(key, "state", "pending"):
            return False
        with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields_of(job))
            pipe.zadd(queue_key(self.k), {job.case_no: due_ms})
            pipe.execute()
        log.info("case %s closed: its clip of %s is to be fetched", job.case_no, job.camera_id)
        return True


class ClipJobs:
    """The worker's side of the queue (asyncio Redis)."""

    def __init__(self, r: Redis, keys: Keys) -> None:
        self.r, self.k = r, keys
        self._claim = r.register_script(CLAIM)

    async def claim(self, now_ms: int, lease_ms: int) -> ClipJob | None:
        """A due job, its next try moved ``lease_ms`` ahead; None when none is due."""
        got: Any = await self._claim(keys=[queue_key(self.k)], args=[now_ms, now_ms + lease_ms])
        if not got:
            return None
        no = got.decode() if isinstance(got, bytes) else str(got)
        fields = text_map(await self.r.hgetall(job_key(self.k, no)))
        if fields.get("state") != "pending" or not fields.get("camera_id"):
            await self.r.zrem(queue_key(self.k), no)  # finished or lost its hash
            return None
        return ClipJob.from_fields(fields)

    async def retry(self, job: ClipJob, due_ms: int) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(job_key(self.k, job.case_no), mapping=fields_of(job))
            pipe.zadd(queue_key(self.k), {job.case_no: due_ms})
            await pipe.execute()

    async def finish(self, job: ClipJob, state: str, reason: str, now_ms: int) -> None:
        key = job_key(self.k, job.case_no)
        fields = fields_of(job) | {"state": state, "reason": reason, "finished_ms": now_ms}
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, KEEP_S)
            pipe.zrem(queue_key(self.k), job.case_no)
            if state == "gave_up":
                pipe.zadd(gave_up_key(self.k), {job.case_no: now_ms})
            await pipe.execute()

    async def state(self, case_no: str) -> dict[str, str]:
        return text_map(await self.r.hgetall(job_key(self.k, case_no)))


def summary(r: redis.Redis, keys: Keys, last: int = 5) -> tuple[int, list[tuple[str, str]]]:
    """(jobs pending, the ``last`` given-up jobs as (case number, reason), newest first)."""
    pending: Any = r.zcard(queue_key(keys))
    raw: Any = r.zrevrange(gave_up_key(keys), 0, last - 1)
    out = []
    for x in raw:
        no = x.decode() if isinstance(x, bytes) else str(x)
        reason: Any = r.hget(job_key(keys, no), "reason")
        out.append((no, reason.decode() if isinstance(reason, bytes) else str(reason or "")))
    return int(pending), out

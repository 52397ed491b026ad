"""The push policy's memory in Redis, shared by every hub process.

The policy itself stays pure (``hub/domain/push_policy.py``). Here each decision reads what
the policy remembers of one (person, case) and of the person's last minute, decides, and
writes it back in one optimistic transaction (``WATCH`` the two keys, ``MULTI``/``EXEC``):
when another process changed either key in between, the write is dropped and the decision
is made again on the fresh state. So two processes offered the same change, or two updates
of one case, never both push: one sends, the other sees it and holds or stays quiet.

Keys, under the hub's prefix:

- ``push:track:{person}:{case}``: the policy's track (JSON), expiring once it no longer
  matters (after ``max(coalesce_s, quiet_s)`` plus the per-minute window);
- ``push:sent:{person}``: when the last minute's pushes went out (JSON list of ms);
- ``push:held``: a sorted set of held (person, case) by due time, which ``due`` reads;
- ``push:people:{case}``: who has a track for the case (for ``forget``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import WatchError

from hub.domain.push_policy import (
    Decision,
    NoticeKind,
    PushPolicy,
    PushPolicyConfig,
    Release,
    Track,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
MINUTE_MS = 60_000
RETRIES = 50


class PolicyContention(RuntimeError):
    """The same (person, case) kept changing under every try of a decision."""


class SharedPushPolicy:
    def __init__(self, redis: Redis, prefix: str, config: PushPolicyConfig) -> None:
        self.r = redis
        self.prefix = prefix
        self.config = config
        horizon_s = max(config.coalesce_s, config.quiet_s)
        self.track_ttl_ms = int(horizon_s * 1000) + 2 * MINUTE_MS
        self.retries = 0  # decisions made again after another process wrote first

    # --- keys --------------------------------------------------------------------------------
    def _track_key(self, person_id: str, case_no: str) -> str:
        return f"{self.prefix}:push:track:{person_id}:{case_no}"

    def _sent_key(self, person_id: str) -> str:
        return f"{self.prefix}:push:sent:{person_id}"

    @property
    def held_key(self) -> str:
        return f"{self.prefix}:push:held"

    def _people_key(self, case_no: str) -> str:
        return f"{self.prefix}:push:people:{case_no}"

    # --- the policy, shared ------------------------------------------------------------------
    async def offer(self, person_id: str, case_no: str, kind: NoticeKind, now_ms: int) -> Decision:
        """Decide one notice against the shared memory; SEND means: send it now."""
        return await self._decide(
            person_id, case_no, now_ms, lambda p: p.offer(person_id, case_no, kind, now_ms)
        )

    async def due(self, now_ms: int, limit: int = 100) -> list[Release]:
        """Held pushes whose time has come; each is released by exactly one process."""
        raw: Any = await self.r.zrangebyscore(self.held_key, "-inf", now_ms, start=0, num=limit)
        out: list[Release] = []
        for member in raw:
            person_id, case_no = json.loads(member)
            out += await self._decide(person_id, case_no, now_ms, lambda p: p.due(now_ms))
        return out

    async def forget(self, case_no: str) -> None:
        """Drop what is remembered of a closed case."""
        people: Any = await self.r.smembers(self._people_key(case_no))
        persons = [p.decode() if isinstance(p, bytes) else str(p) for p in people]
        async with self.r.pipeline(transaction=True) as pipe:
            for person_id in persons:
                pipe.delete(self._track_key(person_id, case_no))
                pipe.zrem(self.held_key, _member(person_id, case_no))
            pipe.delete(self._people_key(case_no))
            await pipe.execute()

    async def next_due_ms(self) -> int | None:
        first: Any = await self.r.zrange(self.held_key, 0, 0, withscores=True)
        return int(first[0][1]) if first else None

    # --- one atomic read-decide-write --------------------------------------------------------
    async def _decide(
        self, person_id: str, case_no: str, now_ms: int, decide: Callable[[PushPolicy], T]
    ) -> T:
        tk, sk = self._track_key(person_id, case_no), self._sent_key(person_id)
        member = _member(person_id, case_no)
        for attempt in range(RETRIES):
            async with self.r.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(tk, sk)
                    # two GETs, not MGET: a cluster's watched pipeline refuses MGET (the
                    # keys share the district's slot, hub.store.keys)
                    raw_track, raw_sent = await pipe.get(tk), await pipe.get(sk)
                    tracks = {(person_id, case_no): _track(raw_track)} if raw_track else {}
                    sent = {person_id: json.loads(raw_sent)} if raw_sent else {}
                    policy = PushPolicy.restore(self.config, tracks, sent)
                    result = decide(policy)
                    track = policy.track(person_id, case_no)
                    recent = [s for s in policy.sent_ms(person_id) if now_ms - s < MINUTE_MS]
                    pipe.multi()  # type: ignore[no-untyped-call]
                    if track is None:
                        pipe.delete(tk)
                    else:
                        pipe.set(tk, json.dumps(dataclasses.asdict(track)), px=self.track_ttl_ms)
                    if recent:
                        pipe.set(sk, json.dumps(recent), px=2 * MINUTE_MS)
                    else:
                        pipe.delete(sk)
                    if track is not None and track.held_due_ms is not None:
                        pipe.zadd(self.held_key, {member: track.held_due_ms})
                    else:
                        pipe.zrem(self.held_key, member)
                    pipe.sadd(self._people_key(case_no), person_id)
                    pipe.pexpire(self._people_key(case_no), self.track_ttl_ms)
                    await pipe.execute()
                    return result
                except WatchError:
                    self.retries += 1
                    log.debug(
                        "push state of %s/%s changed under try %d", person_id, case_no, attempt
                    )
        raise PolicyContention(
            f"push state of {person_id!r}/{case_no!r} changed under {RETRIES} tries in a row"
        )


def _member(person_id: str, case_no: str) -> str:
    return json.dumps([person_id, case_no])


def _track(raw: bytes | str) -> Track:
    fields = json.loads(raw)
    if not isinstance(fields, dict):
        raise ValueError(f"push track is not a JSON object: {raw!r}")
    return Track(**fields)

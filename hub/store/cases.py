"""The case log in Redis: a hash per case (derived fields for listing) and a list of events.

Appends are compare-and-set on the log length, so two processes acting on one case never
interleave; each append also lands on the change stream, and runs the side effects it is
given (``Effects``: audit entry, timers, indexes), in the same atomic step: a process that
dies after an append never leaves an event without its effects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from hub.domain.case_state import OPEN_STATES, CaseEvent, CaseView, fold
from hub.store.keys import Keys
from hub.store.scripts import CASE_APPEND, OPEN_AMONG

Effects = list[list[str]]
"""Redis commands (each a list of strings) run in the same atomic step as an append."""


class Conflict(Exception):
    """The log changed under the caller (another process appended first)."""


class CaseStore:
    def __init__(self, redis: Redis, keys: Keys, changes_max: int) -> None:
        self.r = redis
        self.k = keys
        self.changes_max = changes_max
        self._append = redis.register_script(CASE_APPEND)
        self._open_among = redis.register_script(OPEN_AMONG)

    def _keys(self, no: str, effects: Effects) -> list[str]:
        """``CASE_APPEND``'s KEYS: the case, its log, the change stream, each effect's key."""
        touched = dict.fromkeys(command[1] for command in effects)
        return [self.k.case(no), self.k.case_events(no), self.k.changes, *touched]

    def _args(
        self, no: str, ev: CaseEvent, tier: int, fields: dict[str, Any], effects: Effects
    ) -> list[Any]:
        args: list[Any] = [
            no,
            ev.seq - 1,
            json.dumps(ev.to_dict(), ensure_ascii=False),
            ev.to_state,
            tier,
            self.changes_max,
            json.dumps(effects, ensure_ascii=False),
        ]
        for name, value in fields.items():
            args += [name, value if isinstance(value, str | int | float) else json.dumps(value)]
        return args

    async def create(
        self,
        no: str,
        events: Sequence[CaseEvent],
        fields: dict[str, Any],
        created_ms: int,
        effects: Effects | None = None,
    ) -> bool:
        """Write a new case's first events atomically; False if the case already exists.
        ``effects`` run with the last event, so only when this call created the case."""
        view = CaseView()
        last = len(events) - 1
        # a script in a transaction must be in the server's cache before EXEC: redis-py
        # loads it for a plain pipeline, not for a cluster's (SCRIPT LOAD goes to every
        # primary there); a new case is rare enough for the round trip
        await self.r.script_load(CASE_APPEND)
        async with self.r.pipeline(transaction=True) as pipe:
            for i, ev in enumerate(events):
                view = fold([*events[: i + 1]])
                extra = fields if i == 0 else {}
                then = (effects or []) if i == last else []
                args = self._args(no, ev, view.tier, extra, then)
                await self._append(keys=self._keys(no, then), args=args, client=pipe)
            pipe.zadd(self.k.cases, {no: created_ms})
            results = await pipe.execute()
        return bool(results[0][0])

    async def append(
        self,
        no: str,
        ev: CaseEvent,
        tier: int,
        fields: dict[str, Any],
        effects: Effects | None = None,
    ) -> None:
        """Append ``ev`` and run ``effects``, both or neither; ``Conflict`` if the log grew."""
        effects = effects or []
        keys, args = self._keys(no, effects), self._args(no, ev, tier, fields, effects)
        ok, _ = await self._append(keys=keys, args=args)
        if not ok:
            raise Conflict(f"case {no}: log is no longer {ev.seq - 1} events long")

    async def events(self, no: str) -> list[CaseEvent]:
        raw = await self.r.lrange(self.k.case_events(no), 0, -1)
        return [CaseEvent.from_dict(json.loads(x)) for x in raw]

    async def view(self, no: str) -> CaseView:
        return fold(await self.events(no))

    async def logs(self, numbers: Sequence[str]) -> list[list[CaseEvent]]:
        """The event logs of ``numbers``, in order, read in one pipeline."""
        async with self.r.pipeline(transaction=False) as pipe:
            for no in numbers:
                pipe.lrange(self.k.case_events(no), 0, -1)
            raw: list[Any] = await pipe.execute()
        return [[CaseEvent.from_dict(json.loads(x)) for x in events] for events in raw]

    async def open_records(
        self, since_ms: int, limit: int = 100_000, chunk: int = 5_000
    ) -> list[dict[str, str]]:
        """``case_no`` and ``state`` of the open cases among the ``limit`` newest reported
        since ``since_ms`` (the number as the hash holds it: empty for a half-written hash).
        Each slice of ``chunk`` hashes is one script call answering only the open ones; no
        log is read."""
        numbers = await self.recent_numbers(limit, since_ms)
        out = []
        for at in range(0, len(numbers), chunk):
            keys = [self.k.case(no) for no in numbers[at : at + chunk]]
            got: Any = await self._open_among(keys=keys, args=sorted(OPEN_STATES))
            for i in range(0, len(got), 2):
                out.append({"state": _s(got[i]), "case_no": _s(got[i + 1])})
        return out

    async def record(self, no: str) -> dict[str, str]:
        raw = await self.r.hgetall(self.k.case(no))
        return {_s(k): _s(v) for k, v in raw.items()}

    async def records(self, numbers: Sequence[str]) -> list[dict[str, str]]:
        async with self.r.pipeline(transaction=False) as pipe:
            for no in numbers:
                pipe.hgetall(self.k.case(no))
            rows = await pipe.execute()
        return [{_s(k): _s(v) for k, v in row.items()} for row in rows if row]

    async def recent_numbers(self, limit: int, since_ms: int | None = None) -> list[str]:
        lo = since_ms if since_ms is not None else "-inf"
        raw = await self.r.zrevrangebyscore(self.k.cases, "+inf", lo, start=0, num=limit)
        return [_s(x) for x in raw if isinstance(x, bytes | str)]


def _s(x: bytes | str) -> str:
    return x.decode() if isinstance(x, bytes) else x

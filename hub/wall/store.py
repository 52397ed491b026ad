"""Wall state in Redis: walls, alarms, scenes, tours, feedback, and the change channel.

Every change to a wall goes through ``update``: read, apply a pure function, write with a
version bump under WATCH (safe with several hub workers), then publish on the change
channel, so every worker's live stream sends the new state to its monitors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from hub.domain.wall_rules import WallState
from hub.wall.codec import WallSpec, state_from_json, state_to_json

ACKED_TTL_S = 30 * 24 * 3600


class WallStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.p = f"{prefix}:wall"

    @property
    def channel(self) -> str:
        return f"{self.p}:changes"

    async def publish(self, message: dict[str, Any]) -> None:
        await self.redis.publish(self.channel, json.dumps(message, ensure_ascii=False))

    # walls -----------------------------------------------------------------------------
    async def walls(self) -> list[str]:
        return sorted(_s(x) for x in await self.redis.smembers(f"{self.p}:walls"))

    async def spec(self, wall: str) -> WallSpec | None:
        raw = await self.redis.get(f"{self.p}:spec:{wall}")
        return WallSpec.model_validate_json(raw) if raw else None

    async def define(self, wall: str, spec: WallSpec, state: WallState) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(f"{self.p}:walls", wall)
            pipe.set(f"{self.p}:spec:{wall}", spec.model_dump_json())
            pipe.set(f"{self.p}:state:{wall}", json.dumps(state_to_json(state)))
            await pipe.execute()

    async def state(self, wall: str) -> WallState | None:
        raw = await self.redis.get(f"{self.p}:state:{wall}")
        return state_from_json(json.loads(raw)) if raw else None

    async def update(self, wall: str, change: Callable[[WallState], WallState]) -> WallState:
        """Apply ``change`` atomically; raises KeyError for an unknown wall."""
        key = f"{self.p}:state:{wall}"
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        raise KeyError(wall)
                    old = state_from_json(json.loads(raw))
                    new = change(old)
                    if new == old:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return old
                    new = WallState(**{**_fields(new), "version": old.version + 1})
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, json.dumps(state_to_json(new)))
                    await pipe.execute()
                    break
                except WatchError:
                    continue
        await self.publish({"wall": wall, "kind": "state", "version": new.version})
        return new

    # alarms ----------------------------------------------------------------------------
    async def alarm(self, alarm_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(f"{self.p}:alarm:{alarm_id}")
        return json.loads(raw) if raw else None

    async def alarms(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        raws = await self.redis.mget([f"{self.p}:alarm:{i}" for i in ids])
        return {i: json.loads(r) for i, r in zip(ids, raws, strict=True) if r}

    async def active_alarm_ids(self) -> list[str]:
        return sorted(_s(x) for x in await self.redis.smembers(f"{self.p}:alarms"))

    async def put_alarm(self, detail: dict[str, Any]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{self.p}:alarm:{detail['alarm_id']}", json.dumps(detail, ensure_ascii=False))
            pipe.sadd(f"{self.p}:alarms", detail["alarm_id"])
            await pipe.execute()

    async def put_alarms(self, details: list[dict[str, Any]]) -> None:
        """Several alarms in one round trip."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for d in details:
                pipe.set(f"{self.p}:alarm:{d['alarm_id']}", json.dumps(d, ensure_ascii=False))
            pipe.sadd(f"{self.p}:alarms", *[d["alarm_id"] for d in details])
            await pipe.execute()

    async def drop_alarm(self, alarm_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"{self.p}:alarm:{alarm_id}")
            pipe.srem(f"{self.p}:alarms", alarm_id)
            await pipe.execute()

    async def mark_acked(self, case_no: str) -> None:
        """An acknowledged case stays off the wall until it is reopened."""
        await self.redis.set(f"{self.p}:acked:{case_no}", 1, ex=ACKED_TTL_S)

    async def unmark_acked(self, case_no: str) -> None:
        await self.redis.delete(f"{self.p}:acked:{case_no}")

    async def is_acked(self, case_no: str) -> bool:
        return bool(await self.redis.exists(f"{self.p}:acked:{case_no}"))

    async def add_feedback(self, record: dict[str, Any]) -> str:
        """A rejection, kept as training feedback (a capped stream)."""
        entry = {"json": json.dumps(record, ensure_ascii=False)}
        rid = await self.redis.xadd(f"{self.p}:feedback", entry, maxlen=100_000)  # type: ignore[arg-type]
        return rid.decode() if isinstance(rid, bytes) else str(rid)

    async def feedback(self, count: int = 50) -> list[dict[str, Any]]:
        rows: Any = await self.redis.xrevrange(f"{self.p}:feedback", count=count)
        return [json.loads(fields[b"json"]) for _id, fields in rows]

    # scenes and tours ------------------------------------------------------------------
    async def put_named(self, kind: str, name: str, body: dict[str, Any]) -> None:
        await self.redis.hset(f"{self.p}:{kind}", name, json.dumps(body))

    async def named(self, kind: str) -> dict[str, dict[str, Any]]:
        raw = await self.redis.hgetall(f"{self.p}:{kind}")
        return {_s(k): json.loads(v) for k, v in raw.items()}

    async def set_tour(self, wall: str, tour: dict[str, Any] | None) -> None:
        if tour is None:
            await self.redis.delete(f"{self.p}:tour:{wall}")
        else:
            await self.redis.set(f"{self.p}:tour:{wall}", json.dumps(tour))

    async def tour(self, wall: str) -> dict[str, Any] | None:
        raw = await self.redis.get(f"{self.p}:tour:{wall}")
        return json.loads(raw) if raw else None


def _fields(state: WallState) -> dict[str, Any]:
    return {f: getattr(state, f) for f in WallState.__dataclass_fields__}


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

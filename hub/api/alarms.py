"""Alarms (machine level) and the operator's verification queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from hub.api.deps import Anyone, Operator, Runtime
from hub.store.keys import text, text_map

router = APIRouter(tags=["alarms"])


async def _alarms(rt: Runtime, keys: list[str]) -> list[dict[str, Any]]:
    async with rt.redis.pipeline(transaction=False) as pipe:
        for k in keys:
            pipe.hgetall(rt.keys.alarm(k))
        rows = await pipe.execute()
    return [text_map(r) for r in rows if r]


@router.get("/api/alarms")
async def alarms(rt: Runtime, _p: Anyone, limit: int = 200) -> list[dict[str, Any]]:
    keys = await rt.redis.zrevrange(rt.keys.alarms, 0, min(max(limit, 1), 5000) - 1)
    return await _alarms(rt, [text(k) for k in keys])


@router.get("/api/verification-queue")
async def queue(rt: Runtime, _p: Operator) -> list[dict[str, Any]]:
    keys = await rt.redis.zrange(rt.keys.vqueue, 0, 999)
    return await _alarms(rt, [text(k) for k in keys])


@router.post("/api/verification-queue/{key}/confirm")
async def confirm(key: str, rt: Runtime, p: Operator) -> dict[str, Any]:
    no = await rt.processor.confirm(key, f"{p.role}:{p.name}")
    if no is None:
        raise HTTPException(404, f"alarm {key!r} is not waiting for verification")
    await rt.redis.xadd(rt.keys.audit, {"actor": p.name, "action": "confirm", "alarm_key": key})
    return {"alarm_key": key, "case_no": no}


@router.post("/api/verification-queue/{key}/reject")
async def reject(key: str, rt: Runtime, p: Operator, reason: str = "") -> dict[str, Any]:
    if not await rt.redis.zrem(rt.keys.vqueue, key):
        raise HTTPException(404, f"alarm {key!r} is not waiting for verification")
    now = rt.clock.now_ms()
    await rt.redis.hset(
        rt.keys.alarm(key),
        mapping={
            "state": "cleared",
            "cleared_ms": now,
            "rejected_by": p.name,
            "reject_reason": reason,
        },
    )
    await rt.redis.xadd(rt.keys.audit, {"actor": p.name, "action": "reject", "alarm_key": key})
    return {"alarm_key": key, "rejected": True}

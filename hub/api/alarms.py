"""Alarms (machine level) and the operator's verification queue.

Confirming may edit the category or urgency: the edit is written on the alarm before it is
filed, so the case, its routing, its SLA and the open-case index all follow the edited
category (``detected_category`` keeps what the detector said). A rejection clears the
alarm and lands on the change stream (``alarm_rejected``) so every wall drops it.

An alarm row carries ``boxes``: the detection boxes of its latest alert that had any
(``{xyxy_norm, confidence, class_name}``, at most ``hub.store.boxes.MAX_BOXES``), with
``boxes_ms`` (that alert's time) and ``boxes_snapshot_id`` (the snapshot it named).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from hub.api.auth import Principal
from hub.api.deps import Anyone, Operator, Runtime
from hub.api.scope import in_area, sees_case
from hub.runtime import HubRuntime
from hub.services.cases import dumps
from hub.store.boxes import BadBoxes
from hub.store.boxes import decode as decode_boxes
from hub.store.keys import text, text_map

log = logging.getLogger(__name__)
router = APIRouter(tags=["alarms"])
Urgency = Literal["routine", "urgent"]


class ConfirmRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Annotated[str, Field(pattern=r"^[0-9]{5}$")] | None = None
    urgency: Urgency | None = None


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(max_length=500)] = ""


def alarm_row(raw: object) -> dict[str, Any]:
    """An alarm record as the API shows it: text fields, and ``boxes`` decoded to a list."""
    row: dict[str, Any] = text_map(raw)
    row["boxes"] = _boxes(row.get("key", "?"), row.get("boxes"))
    return row


def _boxes(key: str, field: str | None) -> list[dict[str, Any]]:
    try:
        return decode_boxes(field)
    except BadBoxes as exc:  # written by the hub's own script: a bug, not the caller's fault
        log.error("alarm %s: %s", key, exc)
        return []


async def alarm_detection(rt: HubRuntime, key: str) -> dict[str, Any]:
    """The latest detection boxes of alarm ``key``: ``boxes`` ([] if none or no such alarm),
    ``boxes_ms`` and ``boxes_snapshot_id`` (None if unknown)."""
    raw: Any = await rt.redis.hmget(rt.keys.alarm(key), ["boxes", "boxes_ms", "boxes_snapshot_id"])
    field, at, snap = (text(x) if x is not None else None for x in raw)
    boxes = _boxes(key, field)
    return {
        "boxes": boxes,
        "boxes_ms": int(at) if boxes and at else None,
        "boxes_snapshot_id": snap if boxes and snap else None,
    }


async def _alarms(rt: Runtime, keys: list[str]) -> list[dict[str, Any]]:
    async with rt.redis.pipeline(transaction=False) as pipe:
        for k in keys:
            pipe.hgetall(rt.keys.alarm(k))
        rows = await pipe.execute()
    return [alarm_row(r) for r in rows if r]


@router.get("/api/alarms")
async def alarms(rt: Runtime, p: Anyone, limit: int = 200) -> list[dict[str, Any]]:
    """The latest alarms; a responder gets only the alarms of cases they are on, a token with
    an area only the alarms whose grid lies in it."""
    keys = await rt.redis.zrevrange(rt.keys.alarms, 0, min(max(limit, 1), 5000) - 1)
    rows = [
        r for r in await _alarms(rt, [text(k) for k in keys]) if in_area(rt, p, r.get("grid_code"))
    ]
    if p.role != "responder":
        return rows
    numbers = sorted({r["case_no"] for r in rows if r.get("case_no")})
    mine = {rec["case_no"] for rec in await rt.store.records(numbers) if sees_case(rt, p, rec)}
    return [r for r in rows if r.get("case_no") in mine]


@router.get("/api/verification-queue")
async def queue(rt: Runtime, p: Operator) -> list[dict[str, Any]]:
    keys = await rt.redis.zrange(rt.keys.vqueue, 0, 999)
    return [
        r for r in await _alarms(rt, [text(k) for k in keys]) if in_area(rt, p, r.get("grid_code"))
    ]


async def _alarm_in_area(rt: HubRuntime, p: Principal, key: str) -> None:
    """404 for an alarm outside the caller's area, as for one not waiting."""
    if p.area is not None and not in_area(
        rt, p, text(await rt.redis.hget(rt.keys.alarm(key), "grid_code") or b"") or None
    ):
        raise HTTPException(404, f"alarm {key!r} is not waiting for verification")


async def confirm_alarm(
    rt: HubRuntime,
    key: str,
    actor: str,
    category: str | None = None,
    urgency: Urgency | None = None,
) -> str | None:
    """File (or join) a case for a queued alarm, with the operator's edits; None if the
    alarm is not waiting for verification. ``ValueError`` names an unknown category."""
    if category is not None and category not in rt.ctx.district.categories:
        raise ValueError(f"category {category!r} is not in the district")
    if await rt.redis.zscore(rt.keys.vqueue, key) is None:
        return None
    a = rt.keys.alarm(key)
    detected = text(await rt.redis.hget(a, "category") or b"")
    edits: dict[str, str] = {}
    if category is not None and category != detected:
        edits |= {"category": category, "detected_category": detected}
    if urgency is not None:
        edits["urgency"] = urgency
    if edits:
        await rt.redis.hset(a, mapping=edits)  # type: ignore[arg-type]
    no = await rt.processor.confirm(key, actor)
    if no is None and edits:  # taken by someone else meanwhile: leave the alarm as it was
        await rt.redis.hset(a, "category", detected)
        await rt.redis.hdel(a, "detected_category", "urgency")
    audit = {"actor": actor, "action": "confirm", "alarm_key": key} | {
        f"edit_{k}": v for k, v in edits.items() if k != "detected_category"
    }
    if no is not None:
        await rt.redis.xadd(rt.keys.audit, audit)  # type: ignore[arg-type]
    return no


async def reject_alarm(rt: HubRuntime, key: str, actor: str, reason: str) -> bool:
    """Clear a queued alarm; False if it was not waiting for verification."""
    if not await rt.redis.zrem(rt.keys.vqueue, key):
        return False
    now = rt.clock.now_ms()
    await rt.redis.hset(
        rt.keys.alarm(key),
        mapping={
            "state": "cleared",
            "cleared_ms": now,
            "rejected_by": actor,
            "reject_reason": reason,
        },
    )
    await rt.redis.xadd(rt.keys.audit, {"actor": actor, "action": "reject", "alarm_key": key})
    await rt.redis.xadd(
        rt.keys.changes,
        {
            "kind": "alarm_rejected",
            "alarm_key": key,
            "event": dumps({"at_ms": now, "actor": actor, "reason": reason}),
        },
        maxlen=rt.settings.ingest.changes_max,
        approximate=True,
    )
    return True


@router.post("/api/verification-queue/{key}/confirm")
async def confirm(
    key: str, rt: Runtime, p: Operator, body: ConfirmRequest | None = None
) -> dict[str, Any]:
    """Confirm a queued alarm into a case, optionally with a category or urgency edit."""
    body = body or ConfirmRequest()
    await _alarm_in_area(rt, p, key)
    try:
        no = await confirm_alarm(rt, key, f"{p.role}:{p.name}", body.category, body.urgency)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if no is None:
        raise HTTPException(404, f"alarm {key!r} is not waiting for verification")
    return {"alarm_key": key, "case_no": no}


@router.post("/api/verification-queue/{key}/reject")
async def reject(
    key: str, rt: Runtime, p: Operator, reason: str = "", body: RejectRequest | None = None
) -> dict[str, Any]:
    """Reject a queued alarm (a false alarm); the reason comes as ``?reason=`` or in the body."""
    why = body.reason if body is not None and body.reason else reason
    await _alarm_in_area(rt, p, key)
    if not await reject_alarm(rt, key, p.name, why):
        raise HTTPException(404, f"alarm {key!r} is not waiting for verification")
    return {"alarm_key": key, "rejected": True}

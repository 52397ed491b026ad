"""What the webhooks are doing: per hook its address, deliveries waiting, delivered, failed
attempts, dead letters and the last error; and the dead letters themselves (county-wide:
operators and technicians)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hub.api.deps import Runtime, Technician
from hub.webhooks.outbox import Outbox

router = APIRouter(tags=["intake"])


@router.get("/api/intake/webhooks")
async def webhooks(rt: Runtime, p: Technician) -> list[dict[str, Any]]:
    outbox = Outbox(rt.redis, rt.keys.prefix)
    pending = await outbox.pending()
    out = []
    for h in rt.settings.intake.webhooks:
        s = await outbox.stats(h.hook_id)
        out.append(
            {
                "hook": h.hook_id,
                "url": h.url,
                "pending": pending.get(h.hook_id, 0),
                "delivered": int(s.get("delivered", 0)),
                "failed_attempts": int(s.get("failed_attempts", 0)),
                "dead": int(s.get("dead", 0)),
                "last_error": s.get("last_error"),
                "last_error_ms": int(s["last_error_ms"]) if "last_error_ms" in s else None,
                "last_delivered_ms": int(s["last_delivered_ms"])
                if "last_delivered_ms" in s
                else None,
            }
        )
    return out


@router.get("/api/intake/webhooks/dead")
async def dead_letters(
    rt: Runtime, p: Technician, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    """Deliveries that failed every attempt, newest first, with their body and last error."""
    return await Outbox(rt.redis, rt.keys.prefix).dead_letters(limit)

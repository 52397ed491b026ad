"""``POST /api/tickets``: a ticket for the caller, who proves themselves with a bearer token."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from hub.api.deps import Anyone
from hub.api.tickets import Tickets

router = APIRouter(tags=["auth"])


@router.post("/api/tickets")
async def issue(request: Request, p: Anyone) -> dict[str, Any]:
    """A ticket for ``?ticket=`` in stream and picture URLs, valid ``ttl_s`` seconds."""
    tickets: Tickets = request.app.state.tickets
    ticket, expires_ms = tickets.issue(p, int(time.time() * 1000))
    return {"ticket": ticket, "expires_ms": expires_ms, "ttl_s": tickets.ttl_s}

"""The live stream of changes (Server-Sent Events), resumable from the last event id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from hub.api.deps import Anyone, Runtime
from hub.store.keys import text

router = APIRouter(tags=["stream"])


@router.get("/api/stream")
async def stream(
    request: Request,
    rt: Runtime,
    p: Anyone,
    last_event_id: str | None = Header(default=None),
    since: str | None = None,
) -> StreamingResponse:
    """``text/event-stream`` of case and alarm changes. Each event's id is its Redis stream
    id: reconnect with ``Last-Event-ID`` (or ``?since=``) to resume without a gap."""
    start = last_event_id or since or "$"

    async def events() -> AsyncIterator[bytes]:
        cursor = start
        if cursor == "$":
            last: Any = await rt.redis.xrevrange(rt.keys.changes, count=1)
            cursor = text(last[0][0]) if last else "0-0"
        yield b": connected\n\n"
        while not await request.is_disconnected():
            resp: Any = await rt.redis.xread({rt.keys.changes: cursor}, count=200, block=1000)
            if not resp:
                yield b": keep-alive\n\n"
                continue
            for entry_id, f in resp[0][1]:
                cursor = text(entry_id)
                if p.role == "responder" and f.get(b"kind") != b"case":
                    continue
                data = f.get(b"event", b"{}").decode()
                kind = text(f.get(b"kind", b"change"))
                extra = text(f.get(b"case_no", f.get(b"alarm_key", b"")))
                yield f'id: {cursor}\nevent: {kind}\ndata: {{"ref":"{extra}","change":{data}}}\n\n'.encode()

    return StreamingResponse(events(), media_type="text/event-stream")

"""The live stream of changes (Server-Sent Events), resumable from the last event id.

Operators, technicians and admins get every change. A responder gets only the changes of
cases they are on as of each change (``hub/push/case_scope.py``): no alarms, no fleet, no
other people's cases. Ids are the change stream's, so a responder resumes the same way.
A token with an area gets only the changes of cases and alarms whose grid lies in it (a
case's grid is looked up once per connection), no fleet or config changes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import StreamingResponse

from hub.api.auth import Principal
from hub.api.deps import Anyone, Runtime
from hub.api.scope import in_area, sees_case
from hub.api.stream_ids import check_stream_id
from hub.domain.case_state import CaseEvent
from hub.push.case_scope import ResponderScope
from hub.runtime import HubRuntime
from hub.services.cancellation import raise_if_cancelled
from hub.store.keys import text

router = APIRouter(tags=["stream"])


def _scope(rt: HubRuntime, p: Principal) -> ResponderScope | None:
    if p.role != "responder":
        return None
    if not p.person_id:
        raise HTTPException(403, f"responder token {p.name!r} names no person")

    async def load(case_no: str, n: int) -> list[CaseEvent]:
        raw: Any = await rt.redis.lrange(rt.keys.case_events(case_no), 0, n - 1)
        return [CaseEvent.from_dict(json.loads(x)) for x in raw]

    return ResponderScope(p.person_id, load)


async def _visible(scope: ResponderScope | None, f: dict[bytes, bytes]) -> bool:
    if scope is None:
        return True
    if f.get(b"kind") != b"case" or b"event" not in f or b"case_no" not in f:
        return False
    return await scope.admits(text(f[b"case_no"]), json.loads(f[b"event"]))


class AreaFilter:
    """Which changes a caller with an area or a department sees: those of cases (and, for an
    area, alarms) in it. A case's grid is remembered; its department is read each time, since
    a hand-over moves it."""

    def __init__(self, rt: HubRuntime, p: Principal) -> None:
        self.rt, self.p = rt, p
        self._case_grid: dict[str, str | None] = {}

    async def admits(self, f: dict[bytes, bytes]) -> bool:
        if not self.p.scoped:
            return True
        kind = f.get(b"kind", b"")
        if kind == b"case" and b"case_no" in f:
            no = text(f[b"case_no"])
            if self.p.department is not None:
                return sees_case(self.rt, self.p, await self.rt.store.record(no))
            if no not in self._case_grid:
                self._case_grid[no] = (await self.rt.store.record(no)).get("grid_code")
            return in_area(self.rt, self.p, self._case_grid[no])
        if self.p.department is not None:
            return False
        if kind.startswith(b"alarm_") and b"alarm_key" in f:
            grid = await self.rt.redis.hget(self.rt.keys.alarm(text(f[b"alarm_key"])), "grid_code")
            return grid is not None and in_area(self.rt, self.p, text(grid))
        return False


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
    if start != "$":
        check_stream_id(start, "Last-Event-ID" if last_event_id else "since")
    scope = _scope(rt, p)
    area = AreaFilter(rt, p)

    async def events() -> AsyncIterator[bytes]:
        cursor = start
        if cursor == "$":
            last: Any = await rt.redis.xrevrange(rt.keys.changes, count=1)
            cursor = text(last[0][0]) if last else "0-0"
        yield b": connected\n\n"
        while not await request.is_disconnected():
            raise_if_cancelled()  # a shutdown that cancels this stream ends it (Python 3.11)
            resp: Any = await rt.redis.xread({rt.keys.changes: cursor}, count=200, block=1000)
            if not resp:
                yield b": keep-alive\n\n"
                continue
            for entry_id, f in resp[0][1]:
                cursor = text(entry_id)
                if not await _visible(scope, f) or not await area.admits(f):
                    continue
                data = f.get(b"event", b"{}").decode()
                kind = text(f.get(b"kind", b"change"))
                extra = text(f.get(b"case_no", f.get(b"alarm_key", b"")))
                yield f'id: {cursor}\nevent: {kind}\ndata: {{"ref":"{extra}","change":{data}}}\n\n'.encode()

    return StreamingResponse(events(), media_type="text/event-stream")

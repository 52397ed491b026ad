"""Dead letters, KPIs, snapshots and Prometheus metrics."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import generate_latest

from hub.api.deps import Anyone, Operator, Runtime, Technician
from hub.api.scope import AlarmQuery, CaseQuery, may_see_snapshot
from hub.domain.case_state import CaseView, fold
from hub.domain.kpi import backlog
from hub.kpis.live import ByError, kpi_body, today
from hub.services.metrics import METRICS
from hub.store.keys import text

router = APIRouter(tags=["operations"])
BACKLOG_WINDOW_MS = 30 * 86_400_000  # open/overdue gauges count cases reported in 30 days


@router.get("/api/dead-letters")
async def dead_letters(rt: Runtime, _p: Technician, limit: int = 100) -> list[dict[str, Any]]:
    rows: Any = await rt.redis.xrevrange(rt.keys.dead, count=min(max(limit, 1), 1000))
    out = []
    for entry_id, f in rows:
        raw = f.get(b"raw", b"")
        out.append(
            {
                "id": text(entry_id),
                "reason": text(f[b"reason"]),
                "topic": text(f[b"topic"]),
                "size": int(f[b"size"]),
                "at_ms": int(f[b"at_ms"]),
                "raw_b64": base64.b64encode(raw).decode(),
            }
        )
    return out


async def _open_views(rt: Runtime, since_ms: int) -> list[CaseView]:
    """The open cases reported since ``since_ms``: a script picks them out of the case
    hashes (``CaseStore.open_records``), then only their logs are read and folded."""
    records = await rt.store.open_records(since_ms)
    numbers = [r["case_no"] for r in records if r.get("case_no")]
    return [fold(events) for events in await rt.store.logs(numbers)]


@router.get("/api/kpis")
async def kpis(
    rt: Runtime, p: Operator, day: dt.date | None = None, by: str | None = None
) -> dict[str, Any]:
    """Figures of cases reported on ``day`` (default today), optionally by grid/community/street;
    a token with an area counts only the cases in it, a department's the cases it owns. Read
    from the live counters (``hub.kpis``): a fixed number of Redis calls, no case is read."""
    day = day or today(rt.clock.now_ms(), ZoneInfo(rt.ctx.calendar.timezone))
    try:
        return await kpi_body(rt.kpis, day, p.area, p.department, by)
    except ByError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/api/snapshots/{snapshot_id}")
async def snapshot(
    snapshot_id: str, rt: Runtime, p: Anyone, case: CaseQuery = None, alarm: AlarmQuery = None
) -> Response:
    """A snapshot JPEG; a responder names the case it is for (``?case=``) and gets only the
    snapshots of cases they are on; a token with an area names the case or alarm
    (``?alarm=``) in its area that the snapshot is of."""
    if not await may_see_snapshot(rt, p, snapshot_id, case, alarm):
        raise HTTPException(404, f"no snapshot {snapshot_id!r}")
    data = await rt.redis.get(rt.keys.snapshot(snapshot_id))
    if data is None:
        raise HTTPException(404, f"no snapshot {snapshot_id!r}")
    body = data if isinstance(data, bytes) else str(data).encode()
    return Response(content=body, media_type="image/jpeg")


@router.get("/metrics", response_class=PlainTextResponse)  # documented as text/plain
async def metrics(rt: Runtime) -> Response:
    try:
        info: Any = await rt.redis.xinfo_groups(rt.keys.inbox)
        METRICS.lag.set(sum(int(g.get("lag") or 0) for g in info))
        now = rt.clock.now_ms()
        open_n, overdue = backlog(await _open_views(rt, now - BACKLOG_WINDOW_MS), now)
        METRICS.open_cases.set(open_n)
        METRICS.overdue_cases.set(overdue)
        if rt.records is not None:
            await rt.records.refresh_lag()
    except Exception:  # metrics never fail the scrape
        pass
    return Response(generate_latest(METRICS.registry), media_type="text/plain; version=0.0.4")

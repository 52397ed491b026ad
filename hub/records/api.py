"""``GET /api/reports``: assessment figures from the case history (operators and admins).

``?period=day|week|month|quarter&day=YYYY-MM-DD&level=county|street|community|grid|department|person``
gives one row of figures per key of the level for the cases reported in the period that holds
``day`` (local time of the district); ``&key=K`` gives instead the case numbers behind that
row. 404 while the case history is off (no ``GRIDWALL_DATABASE_URL``)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException

from hub.api.deps import Operator, Runtime
from hub.records.periods import period_bounds

router = APIRouter(tags=["reports"])


@router.get("/api/reports")
async def reports(
    rt: Runtime,
    p: Operator,
    period: str = "month",
    day: dt.date | None = None,
    level: str = "street",
    key: str | None = None,
) -> dict[str, Any]:
    if rt.records is None:
        # 404, not 503: nothing is down, this hub keeps no history to report from
        raise HTTPException(404, "reports need the case history: set GRIDWALL_DATABASE_URL")
    zone = rt.ctx.district.calendar.timezone
    on = day or dt.datetime.fromtimestamp(rt.clock.now_ms() / 1000, ZoneInfo(zone)).date()
    try:
        start, end = period_bounds(period, on, zone)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    engine = rt.records.engine

    def run() -> Any:
        from hub.records.reports import cases_behind, report  # SQLAlchemy: only when asked

        with engine.connect() as conn:
            if key is not None:
                return cases_behind(conn, level, key, start, end)
            return report(conn, level, start, end, rt.ctx.tiers)

    try:
        rows = await asyncio.to_thread(run)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    out: dict[str, Any] = {
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "level": level,
    }
    if key is not None:
        out |= {"key": key, "cases": rows}
    else:
        out["rows"] = rows
    return out

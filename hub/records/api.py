"""``GET /api/reports``: assessment figures from the case history (operators and admins).

``?period=day|week|month|quarter&day=YYYY-MM-DD&level=county|street|community|grid|department|person``
gives one row of figures per key of the level for the cases reported in the period that holds
``day`` (local time of the district); ``&key=K`` gives instead the case numbers behind that
row. 404 while the case history is off (no ``GRIDWALL_DATABASE_URL``).

A token with an area counts only the cases in it, at its own level or below (a street's
token: ``level=street|community|grid|department|person``; a level above it is 403, and
``key=`` of a place outside it 404); a department's token counts only the cases it owns
(``key=`` of another department at ``level=department``: 404)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException

from hub.api.auth import Principal
from hub.api.deps import Operator, Runtime
from hub.api.scope import grid_parents
from hub.domain.area import covers
from hub.records.periods import period_bounds
from hub.runtime import HubRuntime

if TYPE_CHECKING:
    from sqlalchemy import Engine  # SQLAlchemy: imported when the history is on

router = APIRouter(tags=["reports"])


def history(rt: HubRuntime) -> Engine:
    """The case history's engine; 404 while this hub keeps none."""
    if rt.records is None:
        # 404, not 503: nothing is down, this hub keeps no history to report from
        raise HTTPException(404, "reports need the case history: set GRIDWALL_DATABASE_URL")
    return rt.records.engine


def bounds(rt: HubRuntime, period: str, day: dt.date | None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the ``period`` holding ``day`` (today, district time); 422 if unknown."""
    zone = rt.ctx.district.calendar.timezone
    on = day or dt.datetime.fromtimestamp(rt.clock.now_ms() / 1000, ZoneInfo(zone)).date()
    try:
        return period_bounds(period, on, zone)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/api/reports")
async def reports(
    rt: Runtime,
    p: Operator,
    period: str = "month",
    day: dt.date | None = None,
    level: str = "street",
    key: str | None = None,
) -> dict[str, Any]:
    engine = history(rt)
    start, end = bounds(rt, period, day)
    grids, department = scope_of(rt, p, level, key)

    def run() -> Any:
        # SQLAlchemy: only when asked
        from hub.records.reports import Within, cases_behind, report

        within = Within(grids, department)
        with engine.connect() as conn:
            if key is not None:
                return cases_behind(conn, level, key, start, end, within)
            return report(conn, level, start, end, rt.ctx.tiers, within=within)

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


PLACE_LEVELS = ("county", "street", "community", "grid")


def scope_of(
    rt: HubRuntime, p: Principal, level: str, key: str | None
) -> tuple[frozenset[str] | None, str | None]:
    """The grids and department a caller's report is limited to (None: no limit); 403 for a
    place level above the caller's area, 404 for a key outside it."""
    grids = None
    if p.area is not None and p.area.level != "county":
        if level in PLACE_LEVELS and PLACE_LEVELS.index(level) < PLACE_LEVELS.index(p.area.level):
            raise HTTPException(
                403, f"level {level!r} is above your area ({p.area}): ask {p.area.level} or below"
            )
        parents = grid_parents(rt)
        grids = frozenset(g for g in rt.district.grids if covers(p.area, g, parents))
        if key is not None and level in PLACE_LEVELS and not _place_in(key, grids):
            raise HTTPException(404, f"no {level} {key!r} in your area ({p.area})")
    if p.department is not None and level == "department" and key not in (None, p.department):
        raise HTTPException(404, f"no department {key!r} at your desk ({p.department})")
    return grids, p.department


def _place_in(code: str, grids: frozenset[str]) -> bool:
    """Whether a place code (street, community or grid) holds one of ``grids``."""
    return any(g.startswith(code) for g in grids)

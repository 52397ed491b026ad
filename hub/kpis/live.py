"""The live KPIs a user or a wall sees: one scope's counters (their area, their department's
desk, or the county), optionally per street, community or grid, read from the counters
(``hub.kpis.counters``) in a fixed number of Redis calls per figure set, never by reading
cases."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.area import Area
from hub.domain.kpi_counters import scope_of
from hub.kpis.counters import KpiCounters

WIDTHS = {"street": 9, "community": 12, "grid": 15}


class ByError(ValueError):
    """A grouping that is not street, community or grid."""


def today(now_ms: int, tz: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(now_ms / 1000, tz).date()


async def kpi_body(
    counters: KpiCounters,
    day: dt.date,
    area: Area | None,
    department: str | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """``{day, total, by?}`` as ``GET /api/kpis`` answers: figures of the cases reported on
    ``day`` that ``area`` and ``department`` see; ``by`` groups them by the street, community
    or grid they lie in (groups with no case left out)."""
    if by is not None and by not in WIDTHS:
        raise ByError(f"by must be grid, community or street, got {by!r}")
    code = area.code if area is not None and area.level != "county" else None
    d = day.isoformat()
    total = await counters.scope(d, scope_of(code, department))
    out: dict[str, Any] = {"day": d, "total": total}
    if by is not None:
        width = WIDTHS[by]
        if code is not None and len(code) >= width:  # the area lies inside one group
            groups = {code[:width]: total}
        else:
            groups = {
                c: await counters.scope(d, scope_of(c, department))
                for c in await counters.areas(d, width, code)
            }
        out["by"] = {c: g for c, g in groups.items() if g["cases"]}
    return out

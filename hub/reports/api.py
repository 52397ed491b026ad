"""The assessment page's routes beside ``GET /api/reports`` (operators; a scoped token counts
only its area's or department's cases, as ``/api/reports`` does: ``records.api.scope_of``):

- ``GET /api/reports/cases?period&day&level&key&figure[&limit=1000]``: the cases behind one
  figure of one unit (``hub.records.trace``), the first ``limit`` with what the page lists of
  each, and how many there are (``total``);
- ``GET /api/reports/names?level[&keys=a,b]``: the units' names (every unit of the level
  without ``keys``);
- ``GET /api/reports/export?format=xlsx|pdf&period&day&level&by&lang``: the report as a file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from hub.api.deps import Operator, Runtime
from hub.records.api import bounds, history, scope_of
from hub.reports.labels import LANGS

router = APIRouter(tags=["reports"])
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
MAX_NAMES = 2000


async def _in_thread(fn: Any) -> Any:
    """Run blocking SQL or file building off the loop; a ValueError (bad level, figure,
    tier, rank field) is the caller's: 422."""
    try:
        return await asyncio.to_thread(fn)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/api/reports/cases")
async def figure_cases(
    rt: Runtime,
    p: Operator,
    key: str,
    period: str = "month",
    day: dt.date | None = None,
    level: str = "street",
    figure: str = "cases",
    limit: Annotated[int, Query(ge=1, le=20_000)] = 1000,
) -> dict[str, Any]:
    engine = history(rt)
    start, end = bounds(rt, period, day)
    grids, department = scope_of(rt, p, level, key)

    def run() -> tuple[list[dict[str, Any]], int]:
        from hub.records.reports import Within
        from hub.records.trace import cases_of_figure, count_of_figure

        args = (level, start, end, rt.ctx.tiers, figure, key, Within(grids, department))
        with engine.connect() as conn:
            found = cases_of_figure(conn, *args, limit=limit)
            return found, len(found) if len(found) < limit else count_of_figure(conn, *args)

    rows, total = await _in_thread(run)
    return {
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "level": level,
        "key": key,
        "figure": figure,
        "total": total,
        "cases": rows,
    }


@router.get("/api/reports/names")
async def unit_names(
    rt: Runtime, p: Operator, level: str = "street", keys: str | None = None
) -> dict[str, str]:
    engine = history(rt)
    wanted = None if keys is None else [k for k in keys.split(",") if k]
    if wanted is not None and len(wanted) > MAX_NAMES:
        raise HTTPException(
            422, f"at most {MAX_NAMES} keys, got {len(wanted)}: leave keys out for every unit"
        )

    def run() -> dict[str, str]:
        from hub.records.trace import unit_names

        with engine.connect() as conn:
            return unit_names(conn, level, wanted)

    return dict(await _in_thread(run))


@router.get("/api/reports/export")
async def export(
    rt: Runtime,
    p: Operator,
    format: Annotated[str, Query(pattern="^(xlsx|pdf)$")],
    period: str = "month",
    day: dt.date | None = None,
    level: str = "street",
    by: str = "closure_rate",
    lang: Annotated[str, Query(pattern="^(zh-CN|en)$")] = LANGS[0],
) -> Response:
    engine = history(rt)
    start, end = bounds(rt, period, day)
    grids, department = scope_of(rt, p, level, None)
    zone = ZoneInfo(rt.ctx.district.calendar.timezone)
    generated = dt.datetime.fromtimestamp(rt.clock.now_ms() / 1000, zone)
    font = rt.settings.records.pdf_font_file
    if format == "pdf" and not font.is_file():  # the hub's set-up, not the caller's ask
        raise HTTPException(
            503,
            f"PDF export needs a CJK TrueType font: {str(font)!r} not found "
            "(records.pdf_font_file; Debian: apt-get install fonts-wqy-microhei)",
        )

    def run() -> bytes:
        from hub.records.reports import Within
        from hub.reports.build import load_report

        rep = load_report(
            engine,
            period,
            level,
            start,
            end,
            rt.ctx.tiers,
            Within(grids, department),
            by=by,
            lang=lang,
            generated=generated.strftime("%Y-%m-%d %H:%M"),
        )
        if format == "pdf":
            from hub.reports.pdf import pdf_bytes

            return pdf_bytes(rep, font)
        from hub.reports.xlsx import workbook_bytes

        return workbook_bytes(rep)

    body = await _in_thread(run)
    name = f"gridwall-report-{level}-{period}-{start.date().isoformat()}.{format}"
    return Response(
        body,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

"""Read one report out of the case history for an export: the figures per unit in ranking
order, the units' names and every counted case of every unit (the cases behind the figures),
in one read-only transaction so the three agree (the first ``CASES_MAX`` cases, and how many
there are)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine

from hub.records.reports import Within, report
from hub.records.trace import cases_of_figure, count_of_figure, unit_names
from hub.reports.labels import words
from hub.reports.shaping import CASES_MAX, Report, rank


def load_report(
    engine: Engine,
    period: str,
    level: str,
    start: dt.datetime,
    end: dt.datetime,
    tiers: Sequence[str],
    within: Within,
    *,
    by: str,
    lang: str,
    generated: str,
) -> Report:
    words(lang)  # an unknown language: ValueError before any SQL
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        rows = rank(report(conn, level, start, end, tiers, within=within), by)
        names = unit_names(conn, level, [str(r["key"]) for r in rows])
        found = cases_of_figure(
            conn, level, start, end, tiers, "cases", None, within, limit=CASES_MAX
        )
        total = len(found)
        if total == CASES_MAX:
            total = count_of_figure(conn, level, start, end, tiers, "cases", None, within)
    return Report(
        period=period,
        level=level,
        start=start.isoformat(),
        end=end.isoformat(),
        tiers=tuple(tiers),
        rows=tuple(rows),
        names=names,
        cases=tuple(found),
        cases_total=total,
        generated=generated,
        lang=lang,
    )

"""The cases behind one assessment figure, and the names of the units a report ranks.

A figure of ``reports.report`` is traced to the cases it counts: a count to its cases, a rate
to the cases of its numerator (closure rate: the closed; on-time rate: the closed on time;
rework rate: the reworked), a median to the cases it is the median of, a 721 tier to the
cases closed at that tier, satisfaction to the rated cases, supervision orders to the cases
that had one. The scope (period, level, unit) is the report's own (``reports._source``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, and_, func, select, true

from hub.records.reports import EVERYWHERE, LEVELS, Within, _counted, _source
from hub.records.schema import cases, departments, people, places

# the report's fields a figure may name (``tier:NAME`` names one tier of the 721 split)
FIGURES = (
    "cases",
    "closed",
    "closure_rate",
    "on_time_rate",
    "median_accept_min",
    "median_resolve_min",
    "rework_rate",
    "satisfaction",
    "rated",
    "supervision_orders",
)


def figure_filter(figure: str, tiers: Sequence[str]) -> ColumnElement[bool]:
    """The condition a counted case meets to be behind ``figure`` (ValueError if unknown)."""
    closed = cases.c.closed_at.is_not(None)
    if figure.startswith("tier:"):
        name = figure.removeprefix("tier:")
        if name not in tiers:
            raise ValueError(f"tier must be one of {list(tiers)}, got {name!r}")
        return and_(closed, cases.c.closing_tier == list(tiers).index(name))
    dispatched = cases.c.dispatched_at.is_not(None)
    conditions: dict[str, ColumnElement[bool]] = {
        "cases": true(),
        "closed": closed,
        "closure_rate": closed,
        "on_time_rate": cases.c.on_time.is_(True),
        "median_accept_min": and_(dispatched, cases.c.accepted_at.is_not(None)),
        "median_resolve_min": and_(dispatched, cases.c.resolved_at.is_not(None)),
        "rework_rate": cases.c.rework_count > 0,
        "satisfaction": cases.c.satisfaction.is_not(None),
        "rated": cases.c.satisfaction.is_not(None),
        "supervision_orders": cases.c.supervision_orders > 0,
    }
    if figure not in conditions:
        raise ValueError(f"figure must be one of {[*FIGURES, 'tier:NAME']}, got {figure!r}")
    return conditions[figure]


def _behind(
    level: str,
    start: dt.datetime,
    end: dt.datetime,
    tiers: Sequence[str],
    figure: str,
    key: str | None,
    within: Within,
) -> tuple[FromClause, ColumnElement[Any], list[ColumnElement[bool]]]:
    """The rows, the unit column and the conditions of the cases behind a figure. Each
    (unit, case) comes once: a person's or department's assignees are distinct already."""
    source, column = _source(level, start, end, within)
    where = [_counted(start, end, within), figure_filter(figure, tiers)]
    if key is not None:
        where.append(column == key)
    return source, column, where


def count_of_figure(
    conn: Connection,
    level: str,
    start: dt.datetime,
    end: dt.datetime,
    tiers: Sequence[str],
    figure: str = "cases",
    key: str | None = None,
    within: Within = EVERYWHERE,
) -> int:
    """How many (unit, case) rows ``cases_of_figure`` gives without a limit."""
    source, _column, where = _behind(level, start, end, tiers, figure, key, within)
    return int(conn.execute(select(func.count()).select_from(source).where(*where)).scalar_one())


def cases_of_figure(
    conn: Connection,
    level: str,
    start: dt.datetime,
    end: dt.datetime,
    tiers: Sequence[str],
    figure: str = "cases",
    key: str | None = None,
    within: Within = EVERYWHERE,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The cases behind ``figure`` of the unit ``key`` (every unit's when None), one row per
    unit and case, by unit then case number (the first ``limit``); only the cases ``within``
    allows."""
    source, column, where = _behind(level, start, end, tiers, figure, key, within)
    stmt = (
        select(
            column.label("key"),
            cases.c.case_no,
            cases.c.category,
            cases.c.state,
            cases.c.grid_code,
            cases.c.reported_at,
            cases.c.closed_at,
            cases.c.on_time,
            cases.c.closing_tier,
            cases.c.rework_count,
            cases.c.satisfaction,
            cases.c.supervision_orders,
        )
        .select_from(source)
        .where(*where)
        .order_by(column, cases.c.case_no)
        .limit(limit)
    )
    out = []
    for r in conn.execute(stmt).mappings():
        row = dict(r)
        tier = row.pop("closing_tier")
        row["closing_tier"] = tiers[tier] if tier is not None and 0 <= tier < len(tiers) else None
        for k in ("reported_at", "closed_at"):
            row[k] = row[k].isoformat() if row[k] is not None else None
        out.append(row)
    return out


def unit_names(conn: Connection, level: str, keys: Sequence[str] | None) -> dict[str, str]:
    """The name of each unit of ``level`` among ``keys`` (every unit of it: None) that the
    reference tables know."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}, got {level!r}")
    if keys is not None and not keys:
        return {}
    if level == "department":
        col, name, stmt = departments.c.department_id, departments.c.name, select()
    elif level == "person":
        col, name, stmt = people.c.person_id, people.c.name, select()
    else:
        col, name = places.c.code, places.c.name
        stmt = select().where(places.c.level == level)
    stmt = stmt.add_columns(col, name)
    if keys is not None:
        stmt = stmt.where(col.in_(list(keys)))
    return {str(k): str(n) for k, n in conn.execute(stmt)}

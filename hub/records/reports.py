"""Assessment figures as SQL over the case history: for the cases reported in a period,
per county, street, community, grid, department or person: cases, closed, closure rate,
on-time rate, the 721 split by closing tier, median minutes from dispatch to acceptance and
to resolution, rework rate, satisfaction and supervision orders. The definitions are those of
the live KPIs (``hub.domain.kpi``): rejected and merged cases do not count; on time = closed
and resolved by the dispose deadline; rework rate among the cases ever resolved. A person or
a department counts each case they were assigned (``assignments``, role ``assignee``) once.
``cases_behind`` lists the case numbers behind one row, so each figure can be traced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    FromClause,
    and_,
    cast,
    extract,
    func,
    or_,
    select,
)

from hub.records.schema import assignments, cases, people

LEVELS = ("county", "street", "community", "grid", "department", "person")
NOT_COUNTED = ("rejected", "merged")


@dataclass(frozen=True)
class Within:
    """The cases a scoped caller may count: in these grids (an area's, micro grids
    included) and of this department (its current owner); None: no limit."""

    grids: frozenset[str] | None = None
    department: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.grids is not None:
            out.append(cases.c.grid_code.in_(sorted(self.grids)))
        if self.department is not None:
            out.append(cases.c.department_id == self.department)
        return out


EVERYWHERE = Within()


def _counted(
    start: dt.datetime, end: dt.datetime, within: Within = EVERYWHERE
) -> ColumnElement[bool]:
    return and_(
        cases.c.reported_at >= start,
        cases.c.reported_at < end,
        cases.c.state.not_in(NOT_COUNTED),
        *within.conditions(),
    )


def _source(
    level: str, start: dt.datetime, end: dt.datetime, within: Within = EVERYWHERE
) -> tuple[FromClause, ColumnElement[Any]]:
    """The rows to group (cases, or cases × their assignees) and the grouping key. The
    assignees are read for the period's cases only (not the whole year's)."""
    if level in ("county", "street", "community", "grid"):
        return cases, cases.c[f"{level}_code"]
    in_period = select(cases.c.case_no).where(_counted(start, end, within))
    assigned = (
        select(assignments.c.case_no, assignments.c.person_id)
        .where(assignments.c.role == "assignee", assignments.c.case_no.in_(in_period))
        .distinct()
        .subquery("assigned")
    )
    if level == "person":
        joined = cases.join(assigned, assigned.c.case_no == cases.c.case_no)
        return joined, assigned.c.person_id
    if level == "department":
        units = (
            select(assigned.c.case_no, people.c.department_id)
            .join(people, people.c.person_id == assigned.c.person_id)
            .distinct()
            .subquery("units")
        )
        return cases.join(units, units.c.case_no == cases.c.case_no), units.c.department_id
    raise ValueError(f"level must be one of {list(LEVELS)}, got {level!r}")


def _median_minutes(later: Any) -> Any:
    minutes = extract("epoch", later - cases.c.dispatched_at) / 60.0
    return func.percentile_cont(0.5).within_group(cast(minutes, Float))


def report(
    conn: Connection,
    level: str,
    start: dt.datetime,
    end: dt.datetime,
    tiers: Sequence[str],
    only: str | None = None,
    within: Within = EVERYWHERE,
) -> list[dict[str, Any]]:
    """One row of figures per key of ``level`` with cases in [start, end), by key (or the
    row of the key ``only`` alone), counting only the cases ``within`` allows."""
    source, key = _source(level, start, end, within)
    closed = cases.c.closed_at.is_not(None)
    n = func.count()
    columns: list[Any] = [
        key.label("key"),
        n.label("cases"),
        n.filter(closed).label("closed"),
        n.filter(cases.c.on_time.is_(True)).label("on_time"),
        _median_minutes(cases.c.accepted_at).label("median_accept_min"),
        _median_minutes(cases.c.resolved_at).label("median_resolve_min"),
        n.filter(cases.c.rework_count > 0).label("reworked"),
        n.filter(or_(cases.c.resolved_at.is_not(None), cases.c.rework_count > 0)).label(
            "resolved_ever"
        ),
        func.avg(cases.c.satisfaction).label("satisfaction"),
        func.count(cases.c.satisfaction).label("rated"),
        func.coalesce(func.sum(cases.c.supervision_orders), 0).label("supervision_orders"),
    ]
    columns += [
        n.filter(and_(closed, cases.c.closing_tier == i)).label(f"tier_{i}")
        for i in range(len(tiers))
    ]
    stmt = (
        select(*columns)
        .select_from(source)
        .where(_counted(start, end, within), *([key == only] if only is not None else []))
        .group_by(key)
        .order_by(key)
    )
    return [_figures(dict(r), tiers) for r in conn.execute(stmt).mappings()]


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _round(x: Any, places: int = 2) -> float | None:
    return None if x is None else round(float(x), places)


def _figures(r: dict[str, Any], tiers: Sequence[str]) -> dict[str, Any]:
    split = {t: int(r[f"tier_{i}"]) for i, t in enumerate(tiers)}
    return {
        "key": r["key"],
        "cases": r["cases"],
        "closed": r["closed"],
        "closure_rate": _ratio(r["closed"], r["cases"]),
        "on_time_rate": _ratio(r["on_time"], r["closed"]),
        "tier_split": split,
        "tier_share": {t: _ratio(k, r["closed"]) or 0.0 for t, k in split.items()},
        "median_accept_min": _round(r["median_accept_min"]),
        "median_resolve_min": _round(r["median_resolve_min"]),
        "rework_rate": _ratio(r["reworked"], r["resolved_ever"]),
        "satisfaction": _round(r["satisfaction"]),
        "rated": r["rated"],
        "supervision_orders": int(r["supervision_orders"]),
    }


def cases_behind(
    conn: Connection,
    level: str,
    key: str,
    start: dt.datetime,
    end: dt.datetime,
    within: Within = EVERYWHERE,
) -> list[str]:
    """The case numbers counted in one row of ``report``."""
    source, column = _source(level, start, end, within)
    stmt = (
        select(cases.c.case_no)
        .select_from(source)
        .where(_counted(start, end, within), column == key)
        .distinct()
        .order_by(cases.c.case_no)
    )
    return [str(x) for x in conn.execute(stmt).scalars()]

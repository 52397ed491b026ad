"""Assessment figures over the case history match figures worked out by hand on a small
fixed data set (each level, the period's edges, traceability to the cases), and report
periods by table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert

from hub.records.database import migrate, open_engine
from hub.records.periods import period_bounds
from hub.records.reports import cases_behind, report
from hub.records.schema import assignments, cases, people

TZ = ZoneInfo("Asia/Shanghai")
TIERS = ("grid", "upper_grid", "enforcement")
G1, G2, G3 = "339901001001001", "339901001001002", "339901002001001"
NOV = period_bounds("month", dt.date(2026, 11, 15), "Asia/Shanghai")


def _case(
    no: str,
    grid: str,
    state: str,
    *,
    day: int = 10,
    month: int = 11,
    accept: int | None = None,
    resolve: int | None = None,
    tier: int | None = None,
    on_time: bool | None = None,
    rework: int = 0,
    sat: int | None = None,
    orders: int = 0,
) -> dict[str, Any]:
    t0 = dt.datetime(2026, month, day, 9, 0, tzinfo=TZ)

    def m(x: int | None) -> dt.datetime | None:
        return None if x is None else t0 + dt.timedelta(minutes=x)

    closed = state in ("closed", "evaluated")
    return {
        "case_no": no,
        "source": "video_ai",
        "category": "06010",
        "grid_code": grid,
        "community_code": grid[:12],
        "street_code": grid[:9],
        "county_code": grid[:6],
        "state": state,
        "is_open": state not in ("closed", "evaluated", "rejected", "merged"),
        "tier": tier or 0,
        "closing_tier": tier if closed else None,
        "reported_at": t0,
        "dispatched_at": t0,
        "accepted_at": m(accept),
        "resolved_at": m(resolve),
        "closed_at": m((resolve or 0) + 5) if closed else None,
        "on_time": on_time,
        "rework_count": rework,
        "reopen_count": 0,
        "escalations": tier or 0,
        "events": 5,
        "last_event_at": t0,
        "satisfaction": sat,
        "supervision_orders": orders,
    }


CASES = [
    _case("c1", G1, "closed", accept=10, resolve=60, tier=0, on_time=True, sat=5),
    _case(
        "c2",
        G1,
        "evaluated",
        accept=30,
        resolve=200,
        tier=1,
        on_time=False,
        rework=1,
        sat=2,
        orders=1,
    ),
    _case("c3", G2, "accepted", accept=20),
    _case("c4", G2, "rejected"),
    _case("c5", G3, "closed", accept=5, resolve=40, tier=2, on_time=True, sat=4, orders=2),
    _case("c6", G3, "dispatched", rework=1),
    _case("c7", G1, "closed", day=1, month=12, accept=1, resolve=2, tier=0, on_time=True),
    _case("c8", G3, "closed", day=30, accept=15, resolve=90, tier=0, on_time=True),
]
ASSIGNED = [
    ("c1", 3, "pA"),
    ("c1", 5, "pA"),  # escalated to the same person: counted once
    ("c2", 3, "pA"),
    ("c2", 6, "pB"),
    ("c3", 3, "pB"),
    ("c5", 3, "pC"),
    ("c6", 3, "pC"),
    ("c8", 3, "pC"),
]


def seed(e: Engine) -> None:
    """The fixed data set into a migrated database (people pA-pC beside any already there)."""
    at = dt.datetime(2026, 11, 1, tzinfo=TZ)
    with e.begin() as conn:
        conn.execute(insert(cases), CASES)
        conn.execute(
            insert(assignments),
            [
                {"case_no": c, "seq": s, "role": "assignee", "person_id": p, "tier": 0, "at": at}
                for c, s, p in ASSIGNED
            ],
        )
        conn.execute(
            insert(people),
            [
                {"person_id": p, "name": p, "role": "grid_member", "department_id": d}
                for p, d in (("pA", "D1"), ("pB", "D1"), ("pC", "D2"))
            ],
        )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    e = open_engine(database_url)
    migrate(e)
    seed(e)
    yield e
    e.dispose()


COUNTY = {
    "key": "339901",
    "cases": 6,  # c1 c2 c3 c5 c6 c8: c4 rejected, c7 in December
    "closed": 4,
    "closure_rate": 0.6667,
    "on_time_rate": 0.75,  # c1 c5 c8 of 4
    "tier_split": {"grid": 2, "upper_grid": 1, "enforcement": 1},
    "tier_share": {"grid": 0.5, "upper_grid": 0.25, "enforcement": 0.25},
    "median_accept_min": 15.0,  # 5 10 15 20 30
    "median_resolve_min": 75.0,  # 40 60 90 200
    "rework_rate": 0.4,  # c2 c6 of c1 c2 c5 c6 c8
    "satisfaction": 3.67,  # 5 2 4
    "rated": 3,
    "supervision_orders": 3,
}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("level", "want"),
    [
        ("county", [COUNTY]),
        (
            "street",
            [
                {
                    **COUNTY,
                    "key": "339901001",
                    "cases": 3,
                    "closed": 2,
                    "on_time_rate": 0.5,
                    "tier_split": {"grid": 1, "upper_grid": 1, "enforcement": 0},
                    "tier_share": {"grid": 0.5, "upper_grid": 0.5, "enforcement": 0.0},
                    "median_accept_min": 20.0,
                    "median_resolve_min": 130.0,
                    "rework_rate": 0.5,
                    "satisfaction": 3.5,
                    "rated": 2,
                    "supervision_orders": 1,
                },
                {
                    **COUNTY,
                    "key": "339901002",
                    "cases": 3,
                    "closed": 2,
                    "on_time_rate": 1.0,
                    "tier_split": {"grid": 1, "upper_grid": 0, "enforcement": 1},
                    "tier_share": {"grid": 0.5, "upper_grid": 0.0, "enforcement": 0.5},
                    "median_accept_min": 10.0,
                    "median_resolve_min": 65.0,
                    "rework_rate": 0.3333,
                    "satisfaction": 4.0,
                    "rated": 1,
                    "supervision_orders": 2,
                },
            ],
        ),
    ],
)
def test_report_matches_figures_worked_by_hand(
    engine: Engine, level: str, want: list[dict[str, Any]]
) -> None:
    with engine.connect() as conn:
        assert report(conn, level, *NOV, TIERS) == want


@pytest.mark.integration
@pytest.mark.parametrize(
    ("level", "counts"),
    [
        ("grid", {G1: 2, G2: 1, G3: 3}),
        ("community", {"339901001001": 3, "339901002001": 3}),
        ("person", {"pA": 2, "pB": 2, "pC": 3}),
        ("department", {"D1": 3, "D2": 3}),  # c2 is D1's once, though two of D1 had it
    ],
)
def test_report_counts_per_level(engine: Engine, level: str, counts: dict[str, int]) -> None:
    with engine.connect() as conn:
        assert {r["key"]: r["cases"] for r in report(conn, level, *NOV, TIERS)} == counts


@pytest.mark.integration
def test_each_figure_traces_to_its_cases_and_periods_have_edges(engine: Engine) -> None:
    with engine.connect() as conn:
        assert cases_behind(conn, "street", "339901001", *NOV) == ["c1", "c2", "c3"]
        [one] = report(conn, "street", *NOV, TIERS, only="339901002")
        assert (one["key"], one["cases"], one["satisfaction"]) == ("339901002", 3, 4.0)
        assert cases_behind(conn, "person", "pB", *NOV) == ["c2", "c3"]
        dec = period_bounds("month", dt.date(2026, 12, 1), "Asia/Shanghai")
        assert [r["cases"] for r in report(conn, "county", *dec, TIERS)] == [1]
        last_day = period_bounds("day", dt.date(2026, 11, 30), "Asia/Shanghai")
        assert cases_behind(conn, "county", "339901", *last_day) == ["c8"]
        with pytest.raises(ValueError, match="level must be one of"):
            report(conn, "planet", *NOV, TIERS)


@pytest.mark.parametrize(
    ("kind", "day", "want"),
    [
        ("day", dt.date(2026, 11, 30), ((2026, 11, 30), (2026, 12, 1))),
        ("week", dt.date(2026, 11, 26), ((2026, 11, 23), (2026, 11, 30))),  # Thursday
        ("week", dt.date(2026, 11, 23), ((2026, 11, 23), (2026, 11, 30))),  # Monday
        ("month", dt.date(2026, 12, 31), ((2026, 12, 1), (2027, 1, 1))),
        ("quarter", dt.date(2026, 11, 5), ((2026, 10, 1), (2027, 1, 1))),
        ("quarter", dt.date(2026, 3, 31), ((2026, 1, 1), (2026, 4, 1))),
    ],
)
def test_period_bounds(kind: str, day: dt.date, want: tuple[tuple[int, int, int], ...]) -> None:
    start, end = period_bounds(kind, day, "Asia/Shanghai")
    assert (start, end) == tuple(dt.datetime(*d, tzinfo=TZ) for d in want)


def test_an_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="period must be one of"):
        period_bounds("fortnight", dt.date(2026, 11, 1), "Asia/Shanghai")

"""Table and property tests of the pure KPI counters (``hub.domain.kpi_counters``): a case's
share, the fold of events (idempotent on the event id), and counters equal to a full
recomputation over random case logs."""

from __future__ import annotations

import random

import pytest

from hub.domain.case_state import CaseEvent, CaseView
from hub.domain.case_state import fold as fold_log
from hub.domain.kpi_counters import (
    COUNTY,
    Counters,
    figures,
    fold,
    median,
    scope_of,
    scopes,
    share,
)
from tests.kpis.case_walk import MICRO, PARENTS, TIERS, TZ, recompute, walk

DAY = 1_796_000_000_000


@pytest.mark.parametrize(
    ("grid", "department", "want"),
    [
        (None, None, ("county",)),
        ("339901001001002", None, ("county", "339901001", "339901001001", "339901001001002")),
        (
            MICRO,
            None,
            (
                "county",
                "339901002",
                "339901002001",
                MICRO,
                "339901001",
                "339901001001",
                "339901001001001",
            ),
        ),
        (
            "339901002001001",
            "d1",
            (
                "county",
                "339901002",
                "339901002001",
                "339901002001001",
                "dept:d1",
                "dept:d1:339901002",
                "dept:d1:339901002001",
                "dept:d1:339901002001001",
            ),
        ),
    ],
)
def test_scopes(grid: str | None, department: str | None, want: tuple[str, ...]) -> None:
    assert scopes(grid, PARENTS, department) == want


@pytest.mark.parametrize(
    ("view", "counts", "timings"),
    [
        (CaseView(state="reported", reported_ms=DAY), ["cases", "open"], []),
        (CaseView(state="rejected", reported_ms=DAY), [], []),
        (
            CaseView(
                state="closed",
                reported_ms=DAY,
                dispatched_ms=DAY,
                accepted_ms=DAY + 60_000,
                resolved_ms=DAY + 120_000,
                closed_ms=DAY + 180_000,
                closing_tier=1,
                facts={"dispose_due_ms": DAY + 120_000},
            ),
            ["cases", "closed", "on_time", "tier:upper_grid", "resolved_ever"],
            [("accept", 60.0), ("resolve", 120.0)],
        ),
        (
            CaseView(
                state="closed",
                reported_ms=DAY,
                resolved_ms=DAY + 5,
                closed_ms=DAY + 9,
                closing_tier=7,
                rework_count=1,
                facts={"dispose_due_ms": DAY + 4},
            ),
            ["cases", "closed", "tier:?", "resolved_ever", "reworked"],
            [],
        ),
        (
            CaseView(state="rework", reported_ms=DAY, rework_count=2),
            ["cases", "open", "resolved_ever", "reworked"],
            [],
        ),
    ],
)
def test_share(view: CaseView, counts: list[str], timings: list[tuple[str, float]]) -> None:
    s = share(view, TIERS, TZ, PARENTS)
    assert s is not None and s.day == "2026-11-30"
    assert [c for c, _ in s.counts] == counts
    assert list(s.timings) == timings


def test_share_needs_a_report() -> None:
    assert share(CaseView(), TIERS, TZ, PARENTS) is None


@pytest.mark.parametrize(
    ("values", "want"), [([], None), ([3.0], 3.0), ([1.0, 4.0], 2.5), ([1.0, 2.0, 9.0], 2.0)]
)
def test_median(values: list[float], want: float | None) -> None:
    assert median(values) == want


@pytest.mark.parametrize(
    ("area", "department", "want"),
    [
        (None, None, COUNTY),
        ("339901001", None, "339901001"),
        (None, "d", "dept:d"),
        ("339901001", "d", "dept:d:339901001"),
    ],
)
def test_scope_of(area: str | None, department: str | None, want: str) -> None:
    assert scope_of(area, department) == want


def _counted(c: Counters, day: str, scope: str) -> dict[str, object]:
    row = c.counts.get((day, scope), {})
    meds = [
        median(sorted(c.timings.get((day, scope, t), {}).values())) for t in ("accept", "resolve")
    ]
    return figures(row, TIERS, meds[0], meds[1])


@pytest.mark.parametrize("seed", range(6))
def test_counters_equal_a_full_recomputation(seed: int) -> None:
    """Fold every event (in the hub's interleaved order), then replay them all again: every
    (day, scope) equals the figures computed from the cases themselves."""
    events = walk(random.Random(seed), 40)
    logs: dict[str, list[CaseEvent]] = {}
    c = Counters()
    for no, ev in events:
        logs.setdefault(no, []).append(ev)
        assert fold(c, no, ev.seq, share(fold_log(logs[no]), TIERS, TZ, PARENTS))
    before = (repr(c.counts), repr(c.timings))
    for no, ev in events:  # a replay: every event is already counted
        assert not fold(c, no, ev.seq, share(fold_log(logs[no][: ev.seq]), TIERS, TZ, PARENTS))
    assert (repr(c.counts), repr(c.timings)) == before
    views = [fold_log(log) for log in logs.values()]
    assert len({k for k in c.counts}) > 10
    for day, scope in c.counts:
        assert _counted(c, day, scope) == recompute(views, day, scope), (day, scope)

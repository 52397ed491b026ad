"""Each assessment figure traces to its cases (``hub.records.trace``) on the fixed data set of
``test_reports``: the cases listed are those the figure counts, worked out by hand, and their
number gives the figure back; the units' names come from the reference tables."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert

from hub.records.reports import Within, report
from hub.records.schema import places
from hub.records.trace import cases_of_figure, count_of_figure, unit_names
from tests.records.test_reports import G3, NOV, TIERS, engine

__all__ = ["engine"]
pytestmark = pytest.mark.integration


# (figure, the cases it counts for the county in November); one database for the table
FIGURES = [
    ("cases", ["c1", "c2", "c3", "c5", "c6", "c8"]),  # c4 rejected, c7 in December
    ("closed", ["c1", "c2", "c5", "c8"]),
    ("closure_rate", ["c1", "c2", "c5", "c8"]),
    ("on_time_rate", ["c1", "c5", "c8"]),
    ("tier:grid", ["c1", "c8"]),
    ("tier:upper_grid", ["c2"]),
    ("tier:enforcement", ["c5"]),
    ("median_accept_min", ["c1", "c2", "c3", "c5", "c8"]),  # c6 not accepted
    ("median_resolve_min", ["c1", "c2", "c5", "c8"]),
    ("rework_rate", ["c2", "c6"]),
    ("satisfaction", ["c1", "c2", "c5"]),
    ("supervision_orders", ["c2", "c5"]),
]


def test_a_figure_lists_the_cases_it_counts(engine: Engine) -> None:
    with engine.connect() as conn:
        for figure, want in FIGURES:
            got = cases_of_figure(conn, "county", *NOV, TIERS, figure, "339901")
            assert [c["case_no"] for c in got] == want, figure
            assert {c["key"] for c in got} == {"339901"}
            assert count_of_figure(conn, "county", *NOV, TIERS, figure, "339901") == len(want)
        first = cases_of_figure(conn, "county", *NOV, TIERS, "closed", "339901", limit=3)
        assert [c["case_no"] for c in first] == ["c1", "c2", "c5"]


def test_the_counts_give_the_figures_back_per_unit(engine: Engine) -> None:
    with engine.connect() as conn:
        for level in ("street", "person", "department"):
            for r in report(conn, level, *NOV, TIERS):

                def n(figure: str, key: str = str(r["key"]), lv: str = level) -> int:
                    return len(cases_of_figure(conn, lv, *NOV, TIERS, figure, key))

                assert n("cases") == r["cases"] and n("closed") == r["closed"], (level, r)
                assert {t: n(f"tier:{t}") for t in TIERS} == r["tier_split"]
                assert n("rated") == r["rated"]
                if r["closed"]:
                    assert round(n("on_time_rate") / r["closed"], 4) == r["on_time_rate"]
        # every unit at once: one row per unit and case
        every = cases_of_figure(conn, "person", *NOV, TIERS)
        assert [(c["key"], c["case_no"]) for c in every] == [
            ("pA", "c1"),
            ("pA", "c2"),
            ("pB", "c2"),
            ("pB", "c3"),
            ("pC", "c5"),
            ("pC", "c6"),
            ("pC", "c8"),
        ]
        [c5] = cases_of_figure(conn, "grid", *NOV, TIERS, "tier:enforcement", G3)
        assert (c5["closing_tier"], c5["on_time"], c5["satisfaction"]) == ("enforcement", True, 4)
        assert c5["reported_at"].startswith("2026-11-10T01:00:00")
        # scoped: a caller of one grid sees that grid's cases only
        mine = cases_of_figure(conn, "county", *NOV, TIERS, within=Within(frozenset({G3})))
        assert [c["case_no"] for c in mine] == ["c5", "c6", "c8"]


def test_unknown_figures_are_refused_and_units_have_names(engine: Engine) -> None:
    for figure, why in (("tier:district", "tier must be one of"), ("speed", "figure must be")):
        with engine.connect() as conn, pytest.raises(ValueError, match=why):
            cases_of_figure(conn, "county", *NOV, TIERS, figure, "339901")
    with engine.begin() as conn:
        conn.execute(
            insert(places),
            [{"code": "339901001", "level": "street", "name": "北街道"}],
        )
        assert unit_names(conn, "street", ["339901001", "339901002"]) == {"339901001": "北街道"}
        assert unit_names(conn, "person", ["pA", "pZ"]) == {"pA": "pA"}
        assert unit_names(conn, "grid", []) == {}
        assert unit_names(conn, "street", None) == {"339901001": "北街道"}  # every street
        assert unit_names(conn, "community", None) == {}
        with pytest.raises(ValueError, match="level must be one of"):
            unit_names(conn, "planet", None)

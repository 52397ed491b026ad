"""The assessment report's pure shaping, by table: ranking order (ties, missing figures,
lower-is-better figures), chart series, the 721 split as stacked segments, shown values."""

from __future__ import annotations

from typing import Any

import pytest

from hub.reports.labels import word, words
from hub.reports.shaping import Segment, rank, series, shown, stacked

TIERS = ("grid", "upper_grid", "enforcement")


def row(key: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "key": key,
        "cases": 10,
        "closure_rate": 0.5,
        "on_time_rate": 0.5,
        "satisfaction": 4.0,
        "median_accept_min": 10.0,
        "rework_rate": 0.1,
    }
    return base | kw


@pytest.mark.parametrize(
    ("rows", "by", "want"),
    [
        # best closure rate first
        ([row("a", closure_rate=0.2), row("b", closure_rate=0.9)], "closure_rate", ["b", "a"]),
        # a tie broken by on-time rate, then satisfaction, then more cases, then the key
        (
            [
                row("a", on_time_rate=0.4),
                row("b", on_time_rate=0.8),
                row("c", on_time_rate=0.8, satisfaction=4.5),
            ],
            "closure_rate",
            ["c", "b", "a"],
        ),
        (
            [row("b", cases=3), row("a", cases=3), row("c", cases=9)],
            "closure_rate",
            ["c", "a", "b"],
        ),
        # a unit with no closed case (no closure rate) after every unit with one
        ([row("a", closure_rate=None), row("b", closure_rate=0.0)], "closure_rate", ["b", "a"]),
        # lower is better for the median times and the rework rate; missing still last
        (
            [
                row("a", median_accept_min=30.0),
                row("b", median_accept_min=None),
                row("c", median_accept_min=5.0),
            ],
            "median_accept_min",
            ["c", "a", "b"],
        ),
        ([row("a", rework_rate=0.3), row("b", rework_rate=0.0)], "rework_rate", ["b", "a"]),
        ([row("a", satisfaction=3.0), row("b", satisfaction=4.9)], "satisfaction", ["b", "a"]),
        ([], "closure_rate", []),
    ],
)
def test_rank(rows: list[dict[str, Any]], by: str, want: list[str]) -> None:
    assert [r["key"] for r in rank(rows, by)] == want


def test_rank_refuses_a_field_that_is_no_figure() -> None:
    with pytest.raises(ValueError, match="rank by one of"):
        rank([row("a")], "key")


def test_series_keeps_the_ranking_order_names_and_gaps() -> None:
    rows = [row("s2", closure_rate=1.0, on_time_rate=None), row("s1", closure_rate=0.25)]
    s = series(rows, ("closure_rate", "on_time_rate"), {"s1": "北街道"})
    assert s.keys == ("s2", "s1")
    assert s.labels == ("s2", "北街道")  # a unit without a name shows its key
    assert s.values == {"closure_rate": (1.0, 0.25), "on_time_rate": (None, 0.5)}


@pytest.mark.parametrize(
    ("split", "want"),
    [
        (
            {"grid": 2, "upper_grid": 1, "enforcement": 1},
            [(2, 0.5, 0.0), (1, 0.25, 0.5), (1, 0.25, 0.75)],
        ),
        ({"grid": 0, "upper_grid": 0, "enforcement": 0}, [(0, 0.0, 0.0)] * 3),
        ({"grid": 7}, [(7, 1.0, 0.0), (0, 0.0, 1.0), (0, 0.0, 1.0)]),  # tiers missing: 0
        ({"grid": 1, "upper_grid": 2}, [(1, 0.3333, 0.0), (2, 0.6667, 0.3333), (0, 0.0, 1.0)]),
    ],
)
def test_stacked_721(split: dict[str, int], want: list[tuple[int, float, float]]) -> None:
    got = stacked({"key": "x", "tier_split": split}, TIERS)
    assert got == [Segment(t, n, s, o) for t, (n, s, o) in zip(TIERS, want, strict=True)]


@pytest.mark.parametrize(
    ("value", "kind", "want"),
    [
        (0.6667, "rate", "66.7%"),
        (None, "rate", "–"),
        (75.0, "minutes", "75.0"),
        (3.67, "score", "3.7"),
        (12, "count", "12"),
    ],
)
def test_shown(value: Any, kind: str, want: str) -> None:
    assert shown(value, kind) == want


def test_labels() -> None:
    assert words("zh-CN")["closure_rate"] == "结案率"
    assert word(words("en"), "tier.upper_grid") == "upper grid"
    assert word(words("en"), "tier.district_team") == "district_team"  # a tier not named
    with pytest.raises(ValueError, match="lang must be one of"):
        words("fr")

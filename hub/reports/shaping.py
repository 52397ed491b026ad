"""Pure shaping of assessment rows (``hub.records.reports.report``) for charts and the
ranking table, shared by the XLSX and PDF exports. The console's page (``wall_ui/js/
assessment.js``) ranks the same way; the browser test holds the two to the same order.

Ranking: by one figure (default the closure rate), best first; a unit without that figure
(no closed case, no rating) after every unit with it; ties broken by closure rate, on-time
rate, satisfaction, then more cases, then the unit's key. Higher is better for every figure
but the median times and the rework rate, where lower is better."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, Any]

# the ranking table: (field, kind); kind says how a value is shown
COLUMNS: tuple[tuple[str, str], ...] = (
    ("cases", "count"),
    ("closed", "count"),
    ("closure_rate", "rate"),
    ("on_time_rate", "rate"),
    ("median_accept_min", "minutes"),
    ("median_resolve_min", "minutes"),
    ("rework_rate", "rate"),
    ("satisfaction", "score"),
    ("rated", "count"),
    ("supervision_orders", "count"),
)
LOWER_IS_BETTER = frozenset({"median_accept_min", "median_resolve_min", "rework_rate"})
TIE_BREAK = ("closure_rate", "on_time_rate", "satisfaction", "cases")
RANKABLE = frozenset(f for f, _ in COLUMNS)


def rank(rows: Sequence[Row], by: str = "closure_rate") -> list[Row]:
    """``rows`` in ranking order by ``by`` (ValueError for a field that is not a figure)."""
    if by not in RANKABLE:
        raise ValueError(f"rank by one of {sorted(RANKABLE)}, got {by!r}")
    order = (by, *(f for f in TIE_BREAK if f != by))

    def sort_key(r: Row) -> tuple[Any, ...]:
        parts: list[Any] = []
        for f in order:
            v = r.get(f)
            # missing last; better first: negate where higher is better
            parts += [v is None, 0.0 if v is None else (v if f in LOWER_IS_BETTER else -v)]
        return (*parts, str(r["key"]))

    return sorted(rows, key=sort_key)


def label_of(key: str, names: Mapping[str, str]) -> str:
    """A unit's name as charts and tables show it, its key when it has none."""
    return names.get(key) or key


@dataclass(frozen=True)
class Series:
    """Grouped bars: one category per unit (in ranking order), one value list per figure
    (None where the unit has no such figure: no bar)."""

    keys: tuple[str, ...]
    labels: tuple[str, ...]
    values: dict[str, tuple[float | None, ...]]


def series(ranked: Sequence[Row], figures: Sequence[str], names: Mapping[str, str]) -> Series:
    keys = tuple(str(r["key"]) for r in ranked)
    return Series(
        keys=keys,
        labels=tuple(label_of(k, names) for k in keys),
        values={
            f: tuple(None if r.get(f) is None else float(r[f]) for r in ranked) for f in figures
        },
    )


@dataclass(frozen=True)
class Segment:
    tier: str
    count: int
    share: float  # of the unit's closed cases; 0 when it closed none
    offset: float  # where the segment starts in the stacked bar (0-1)


def stacked(row: Row, tiers: Sequence[str]) -> list[Segment]:
    """The 721 split of one unit as stacked segments, in tier order."""
    split = row.get("tier_split") or {}
    total = sum(int(split.get(t, 0)) for t in tiers)
    out, at = [], 0.0
    for t in tiers:
        n = int(split.get(t, 0))
        share = n / total if total else 0.0
        out.append(Segment(t, n, round(share, 4), round(at, 4)))
        at += share
    return out


def shown(value: Any, kind: str) -> str:
    """A figure as text: rates in percent, minutes and scores to one place, counts whole."""
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind in ("minutes", "score"):
        return f"{value:.1f}"
    return str(value)


@dataclass(frozen=True)
class Report:
    """What an export holds: the scope, the rows in ranking order with their units' names,
    and the cases behind them (one row per unit and case, ``trace.cases_of_figure``)."""

    period: str
    level: str
    start: str  # ISO instants of [start, end)
    end: str
    tiers: tuple[str, ...]
    rows: tuple[Row, ...]
    names: Mapping[str, str]
    cases: tuple[Row, ...]  # the first CASES_MAX of them
    cases_total: int  # how many there are
    generated: str
    lang: str = "zh-CN"


CHART_MAX = 20  # units a chart shows (the first of the ranking); the table shows them all
# rows of the XLSX's cases sheet: openpyxl writes about 3,000 rows a second on a loaded core
# (a county's month holds about 100,000 cases); past it the console lists a figure's cases
CASES_MAX = 20_000

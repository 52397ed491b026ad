"""KPIs from case views (themselves folded from the event log): counts, rates, 721 split."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hub.domain.case_state import CaseView


@dataclass(frozen=True)
class Kpis:
    cases: int
    closed: int
    closure_rate: float | None
    on_time_rate: float | None
    tier_split: dict[str, int]
    tier_share: dict[str, float]
    median_accept_s: float | None
    median_resolve_s: float | None
    rework_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def compute(views: Iterable[CaseView], tiers: Sequence[str]) -> Kpis:
    """KPIs of the given cases; ``tiers`` names tier indexes (grid, upper_grid, enforcement)."""
    vs = [v for v in views if v.state not in ("rejected", "merged")]
    closed = [v for v in vs if v.closed_ms is not None]
    on_time = [
        v
        for v in closed
        if v.resolved_ms is not None
        and "dispose_due_ms" in v.facts
        and v.resolved_ms <= int(v.facts["dispose_due_ms"])
    ]
    split = {t: 0 for t in tiers}
    for v in closed:
        name = (
            tiers[v.closing_tier]
            if v.closing_tier is not None and v.closing_tier < len(tiers)
            else "?"
        )
        split[name] = split.get(name, 0) + 1
    accept = [
        (v.accepted_ms - v.dispatched_ms) / 1000
        for v in vs
        if v.accepted_ms is not None and v.dispatched_ms is not None
    ]
    resolve = [
        (v.resolved_ms - v.dispatched_ms) / 1000
        for v in vs
        if v.resolved_ms is not None and v.dispatched_ms is not None
    ]
    resolved_ever = [v for v in vs if v.resolved_ms is not None or v.rework_count]
    return Kpis(
        cases=len(vs),
        closed=len(closed),
        closure_rate=_ratio(len(closed), len(vs)),
        on_time_rate=_ratio(len(on_time), len(closed)),
        tier_split=split,
        tier_share={k: _ratio(n, len(closed)) or 0.0 for k, n in split.items()},
        median_accept_s=_median(accept),
        median_resolve_s=_median(resolve),
        rework_rate=_ratio(sum(1 for v in resolved_ever if v.rework_count), len(resolved_ever)),
    )


def grouped(views: Iterable[CaseView], level: str, tiers: Sequence[str]) -> dict[str, Kpis]:
    """KPIs per grid (15 digits), community (12) or street (9) of each case's grid."""
    width = {"grid": 15, "community": 12, "street": 9}[level]
    groups: dict[str, list[CaseView]] = {}
    for v in views:
        grid = str(v.facts.get("grid_code", ""))
        groups.setdefault(grid[:width], []).append(v)
    return {k: compute(g, tiers) for k, g in sorted(groups.items())}


def backlog(views: Iterable[CaseView], now_ms: int) -> tuple[int, int]:
    """``(open, overdue)``: cases not closed, and those of them unresolved past dispose_due_ms."""
    open_n = overdue = 0
    for v in views:
        if not v.is_open:
            continue
        open_n += 1
        due = v.facts.get("dispose_due_ms")
        if v.resolved_ms is None and isinstance(due, int) and due < now_ms:
            overdue += 1
    return open_n, overdue

"""Live KPIs kept as counters: what one case adds to its day's figures, and the fold of a
case event into those counters.

A case counts on the day it was reported (in the district's time zone), in every area that
sees it: the county, and the street, community and grid of its grid and of the grid's
ancestors by ``parent_code`` (the areas ``hub.domain.area.covers`` lets see it). What it
adds (its ``Share``) is a function of its current view alone, so an event changes the
counters by the new share minus the share counted before (``fold``). Kept beside the
counters with the sequence number of the event that produced it, the share makes the fold
idempotent on the event id: an event no newer than the share's is already counted.
Medians of accept and resolve times are kept as sorted sets keyed by case number.

Pure: ``hub.store.kpi_counters`` runs the same fold in Redis, atomically with the append.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.area import lineage
from hub.domain.case_state import CaseView
from hub.domain.kpi import Kpis

COUNTY = "county"
"""The scope every case counts in (a user with no area, or the county's)."""
WIDTHS = (9, 12, 15)  # street, community, grid


@dataclass(frozen=True)
class Share:
    """What one case adds to the counters of ``day`` in each of ``scopes``."""

    day: str
    scopes: tuple[str, ...]
    counts: tuple[tuple[str, int], ...] = ()
    """(counter, amount), amount 1 (a case adds one or nothing to each counter)."""
    timings: tuple[tuple[str, float], ...] = ()
    """(``accept`` or ``resolve``, seconds): the case's entry in that median's sorted set."""


def scopes(
    grid_code: str | None, parents: Mapping[str, str | None], department: str | None = None
) -> tuple[str, ...]:
    """The county and every street, community and grid code that covers ``grid_code``; with
    a ``department``, each of those again as that department's desk sees it (``scope_of``)."""
    out = [COUNTY]
    for code in lineage(grid_code, parents) if grid_code else []:
        for w in WIDTHS:
            if len(code) >= w and code[:w] not in out:
                out.append(code[:w])
    if department:
        out += [scope_of(c if c != COUNTY else None, department) for c in out]
    return tuple(out)


def scope_of(area_code: str | None, department: str | None) -> str:
    """The scope a user reads: their area's code (the county without one), or, for a
    department's desk, ``dept:{id}`` and ``dept:{id}:{area code}``."""
    if department is None:
        return area_code or COUNTY
    return f"dept:{department}" + (f":{area_code}" if area_code else "")


def day_of(ms: int, tz: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz).date().isoformat()


def share(
    view: CaseView, tiers: Sequence[str], tz: ZoneInfo, parents: Mapping[str, str | None]
) -> Share | None:
    """The case's share, by the same rules as ``hub.domain.kpi.compute``; None before it
    was reported (no day to count on)."""
    if view.reported_ms is None:
        return None
    grid = str(view.facts.get("grid_code") or "") or None
    where = scopes(grid, parents, str(view.facts.get("department") or "") or None)
    day = day_of(view.reported_ms, tz)
    if view.state in ("rejected", "merged"):
        return Share(day, where)
    counts = ["cases"]
    if view.is_open:
        counts.append("open")
    if view.closed_ms is not None:
        counts.append("closed")
        due = view.facts.get("dispose_due_ms")
        if view.resolved_ms is not None and due is not None and view.resolved_ms <= int(due):
            counts.append("on_time")
        t = view.closing_tier
        counts.append("tier:" + (tiers[t] if t is not None and t < len(tiers) else "?"))
    if view.resolved_ms is not None or view.rework_count:
        counts.append("resolved_ever")
        if view.rework_count:
            counts.append("reworked")
    timings = []
    if view.dispatched_ms is not None:
        if view.accepted_ms is not None:
            timings.append(("accept", (view.accepted_ms - view.dispatched_ms) / 1000))
        if view.resolved_ms is not None:
            timings.append(("resolve", (view.resolved_ms - view.dispatched_ms) / 1000))
    return Share(day, where, tuple((c, 1) for c in counts), tuple(timings))


@dataclass
class Counters:
    """The counters of every (day, scope), as Redis keeps them: plain integers, and per
    timing a map case number → seconds (the sorted set)."""

    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    timings: dict[tuple[str, str, str], dict[str, float]] = field(default_factory=dict)
    shares: dict[str, tuple[int, Share]] = field(default_factory=dict)


def fold(c: Counters, case_no: str, seq: int, new: Share | None) -> bool:
    """Count the case's share after event ``seq``: take out the share counted before, put in
    ``new``. False (nothing changes) when an event this new or newer was already counted."""
    old = c.shares.get(case_no)
    if new is None or (old is not None and old[0] >= seq):
        return False
    if old is not None:
        _put(c, case_no, old[1], -1)
    _put(c, case_no, new, 1)
    c.shares[case_no] = (seq, new)
    return True


def _put(c: Counters, case_no: str, s: Share, sign: int) -> None:
    for scope in s.scopes:
        row = c.counts.setdefault((s.day, scope), {})
        for name, n in s.counts:
            row[name] = row.get(name, 0) + sign * n
        for name, seconds in s.timings:
            z = c.timings.setdefault((s.day, scope, name), {})
            if sign > 0:
                z[case_no] = seconds
            else:
                z.pop(case_no, None)


def median(sorted_values: Sequence[float]) -> float | None:
    """The median as ``statistics.median`` gives it, from the middle one or two values."""
    n = len(sorted_values)
    if n == 0:
        return None
    mid = sorted_values[(n - 1) // 2 : n // 2 + 1]
    return round(sum(mid) / len(mid), 3)


def figures(
    counts: Mapping[str, int],
    tiers: Sequence[str],
    median_accept_s: float | None,
    median_resolve_s: float | None,
) -> dict[str, Any]:
    """The KPIs (``hub.domain.kpi.Kpis``'s fields, and ``open``) from one scope's counters."""
    n, closed = counts.get("cases", 0), counts.get("closed", 0)
    split = {t: counts.get(f"tier:{t}", 0) for t in tiers}
    if counts.get("tier:?"):
        split["?"] = counts["tier:?"]
    resolved_ever = counts.get("resolved_ever", 0)
    k = Kpis(
        cases=n,
        closed=closed,
        closure_rate=_ratio(closed, n),
        on_time_rate=_ratio(counts.get("on_time", 0), closed),
        tier_split=split,
        tier_share={t: _ratio(x, closed) or 0.0 for t, x in split.items()},
        median_accept_s=median_accept_s,
        median_resolve_s=median_resolve_s,
        rework_rate=_ratio(counts.get("reworked", 0), resolved_ever),
    )
    return k.to_dict() | {"open": counts.get("open", 0)}


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None

"""Random case logs for the KPI counter tests, and the full recomputation they must equal.

Each case walks the state machine (``next_event``) by random allowed actions, so the logs
are ones the hub could write; several cases share days, grids and departments, and a micro
grid hangs under a basic grid by ``parent_code``."""

from __future__ import annotations

import random
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.area import LEVELS, Area, covers
from hub.domain.case_state import (
    TRANSITIONS,
    CaseEvent,
    CaseView,
    TransitionError,
    apply,
    next_event,
)
from hub.domain.kpi import compute
from hub.domain.kpi_counters import COUNTY, day_of

TZ = ZoneInfo("Asia/Shanghai")
TIERS = ("grid", "upper_grid", "enforcement")
GRIDS = ("339901001001001", "339901001001002", "339901001002001", "339901002001001")
MICRO = "339901002001901"  # a professional grid under a basic grid of another community
PARENTS: dict[str, str | None] = {MICRO: "339901001001001"}
DEPARTMENTS = ("sanitation", "urban_mgmt")
DAY0_MS = 1_796_000_000_000  # 2026-11-30 in Shanghai
ACTIONS = [a for a in TRANSITIONS if a not in ("report", "attach_alarm", "attach_report", "note")]


def walk(rng: random.Random, n_cases: int, max_events: int = 12) -> list[tuple[str, CaseEvent]]:
    """Events of ``n_cases`` cases, interleaved as a hub would write them."""
    logs: dict[str, list[CaseEvent]] = {}
    views: dict[str, CaseView] = {}
    out: list[tuple[str, CaseEvent]] = []
    for i in range(n_cases):
        no = f"33990120261130{i:06d}"
        at = DAY0_MS + rng.randrange(0, 2 * 86_400_000)
        grid = rng.choice([*GRIDS, MICRO])
        report: dict[str, Any] = {
            "case_no": no,
            "grid_code": grid,
            "category": "06010",
            "department": rng.choice(DEPARTMENTS),
        }
        ev = next_event(CaseView(), "report", actor="t", at_ms=at, data=report)
        logs[no], views[no] = [ev], apply(CaseView(), ev)
        out.append((no, ev))
    open_cases = list(logs)
    while open_cases:
        no = rng.choice(open_cases)
        v = views[no]
        if len(logs[no]) >= max_events or v.state in ("rejected", "merged"):
            open_cases.remove(no)
            continue
        action = rng.choice(ACTIONS)
        at = logs[no][-1].at_ms + rng.randrange(60_000, 4 * 3_600_000)
        data: dict[str, Any] = {}
        if action == "dispatch":
            data = {"assignees": ["p1"], "tier": 0, "dispose_due_ms": at + 3 * 3_600_000}
        elif action == "escalate":
            if v.tier >= len(TIERS) - 1:
                continue
            data = {"tier": v.tier + 1}
        elif action == "hand_over":
            data = {"to_department": rng.choice(DEPARTMENTS)}
        try:
            ev = next_event(v, action, actor="t", at_ms=at, data=data)
        except TransitionError:
            continue
        logs[no].append(ev)
        views[no] = apply(v, ev)
        out.append((no, ev))
    return out


def recompute(views: list[CaseView], day: str, scope: str) -> dict[str, Any]:
    """The figures of one (day, scope) from the cases themselves (``hub.domain.kpi``), with
    the area rule of ``hub.domain.area.covers`` and a department by its current owner."""
    dept: str | None = None
    code = scope
    if scope.startswith("dept:"):
        dept, _, code = scope.removeprefix("dept:").partition(":")
        code = code or COUNTY
    area = None if code == COUNTY else Area(LEVELS[len(code)], code)
    chosen = [
        v
        for v in views
        if v.reported_ms is not None
        and day_of(v.reported_ms, TZ) == day
        and covers(area, str(v.facts.get("grid_code") or ""), PARENTS)
        and (dept is None or v.facts.get("department") == dept)
    ]
    k = compute(chosen, TIERS).to_dict()
    k["open"] = sum(1 for v in chosen if v.is_open and v.state not in ("rejected", "merged"))
    return k

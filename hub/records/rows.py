"""Rows of the case history from the case log: pure functions, no database.

An event becomes one ``events`` row; a case's whole log becomes its ``cases`` row (through the
domain's ``fold``), its ``assignments`` (who each dispatch, escalation, reassignment or joint
command put on it) and its ``sources`` (where reports of it came from). Each is a function of
the log alone, so copying event by event and rebuilding from the log give the same rows.
Times are ``timestamptz`` (UTC) from the log's milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from hub.domain.case_state import CaseEvent, fold
from hub.domain.evaluation import satisfaction
from hub.domain.supervision import NOTICE, ORDER

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DISPATCHING = frozenset({"dispatch", "escalate", "reassign"})


def at(ms: int | None) -> dt.datetime | None:
    return None if ms is None else EPOCH + dt.timedelta(milliseconds=int(ms))


def event_row(case_no: str, ev: CaseEvent) -> dict[str, Any]:
    return {
        "case_no": case_no,
        "seq": ev.seq,
        "at": at(ev.at_ms),
        "actor": ev.actor,
        "action": ev.action,
        "from_state": ev.from_state,
        "to_state": ev.to_state,
        "reason": ev.reason,
        "note": ev.note,
        "data": ev.data,
    }


def event_of(row: dict[str, Any]) -> CaseEvent:
    """The event an ``events`` row holds (the inverse of ``event_row``)."""
    when: dt.datetime = row["at"]
    return CaseEvent(
        int(row["seq"]),
        (when - EPOCH) // dt.timedelta(milliseconds=1),
        row["actor"],
        row["action"],
        row["from_state"],
        row["to_state"],
        row["reason"],
        row["note"],
        dict(row["data"] or {}),
    )


def case_row(case_no: str, log: Sequence[CaseEvent]) -> dict[str, Any]:
    """The ``cases`` row of a log (in sequence order, starting with its report)."""
    if not log:
        raise ValueError(f"case {case_no}: an empty log has no row")
    view = fold(log)
    f = view.facts
    grid = str(f.get("grid_code") or "")
    due = {k: f.get(f"{k}_due_ms") for k in ("dispatch", "accept", "dispose")}
    closed = view.closed_ms is not None
    on_time = None
    if closed:
        on_time = (
            view.resolved_ms is not None
            and due["dispose"] is not None
            and view.resolved_ms <= int(due["dispose"])
        )
    return {
        "case_no": case_no,
        "source": str(f.get("source") or "video_ai"),
        "category": str(f.get("category") or ""),
        "grid_code": grid,
        "community_code": grid[:12] or None,
        "street_code": grid[:9] or None,
        "county_code": case_no[:6],
        "department_id": f.get("department"),
        "state": view.state,
        "is_open": view.is_open,
        "tier": view.tier,
        "closing_tier": view.closing_tier,
        "urgency": f.get("urgency"),
        "camera_id": f.get("camera_id"),
        "alarm_key": f.get("alarm_key"),
        "reported_at": at(view.reported_ms),
        "dispatched_at": at(view.dispatched_ms),
        "accepted_at": at(view.accepted_ms),
        "resolved_at": at(view.resolved_ms),
        "closed_at": at(view.closed_ms),
        "dispatch_due_at": at(due["dispatch"]),
        "accept_due_at": at(due["accept"]),
        "dispose_due_at": at(due["dispose"]),
        "on_time": on_time,
        "rework_count": view.rework_count,
        "reopen_count": view.reopen_count,
        "escalations": len(view.escalations),
        "events": len(log),
        "last_event_at": at(log[-1].at_ms),
        "satisfaction": satisfaction(log),
        "supervision_notices": _supervision(log, NOTICE),
        "supervision_orders": _supervision(log, ORDER),
    }


def _supervision(log: Sequence[CaseEvent], kind: str) -> int:
    return sum(1 for ev in log if ev.action == "note" and ev.data.get("supervision") == kind)


def assignment_rows(case_no: str, ev: CaseEvent) -> list[dict[str, Any]]:
    """Who this event put on the case: assignees of a dispatch, escalation or reassignment;
    commander, lead and cooperating units of a joint command (given alone or with a dispatch)."""
    d = ev.data
    tier = int(d["tier"]) if "tier" in d else None
    named: list[tuple[str, str]] = []
    if ev.action in DISPATCHING:
        named += [("assignee", str(p)) for p in d.get("assignees") or ()]
    joint = d if ev.action == "joint" else d.get("joint") if ev.action == "dispatch" else None
    if isinstance(joint, dict):
        named += [(r, str(joint[r])) for r in ("commander", "lead") if joint.get(r)]
        named += [("cooperating", str(p)) for p in joint.get("cooperating") or ()]
    rows = {
        (role, person): {
            "case_no": case_no,
            "seq": ev.seq,
            "role": role,
            "person_id": person,
            "tier": tier,
            "at": at(ev.at_ms),
        }
        for role, person in named
    }
    return list(rows.values())


def source_of(ev: CaseEvent) -> str | None:
    """The intake source an event names, if it is a report of the problem."""
    if ev.action == "report":
        return str(ev.data.get("source") or "video_ai")
    if ev.action == "attach_alarm":
        return "video_ai"
    if ev.action == "attach_report":
        return str(ev.data.get("source") or "other")
    return None


def source_rows(case_no: str, log: Sequence[CaseEvent]) -> list[dict[str, Any]]:
    """Each source that reported the case once, with the first event that named it."""
    seen: dict[str, dict[str, Any]] = {}
    for ev in log:
        src = source_of(ev)
        if src is not None and src not in seen:
            seen[src] = {"case_no": case_no, "source": src, "seq": ev.seq, "at": at(ev.at_ms)}
    return list(seen.values())

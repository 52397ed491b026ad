"""Supervision (督办): how much of its time limit an open case has used, as a colour.

A case's running window is the deadline it is working towards: before dispatch, from its
report to ``dispatch_due_ms``; once dispatched, from its (latest) dispatch to
``dispose_due_ms``. Time is counted on the case's own SLA clock (working minutes on the
calendar, or natural minutes), frozen at resolution (a resolved case waits on a check, not on
its handler). The share used is elapsed / allowed; the colour is green below ``yellow_at``,
yellow below ``red_at``, red from there (levels from ``supervision`` in the hub settings).
A red case gets one supervision notice per window (``needs_notice``); an operator may also
issue a supervision order at any time. Both are ``note`` events whose ``data.supervision`` is
``notice`` or ``order``: the state and deadlines stay, the log says who was urged and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hub.domain.calendar import WorkingCalendar
from hub.domain.case_state import CaseEvent, CaseView

GREEN, YELLOW, RED = "green", "yellow", "red"
NOTICE, ORDER = "notice", "order"


@dataclass(frozen=True)
class Levels:
    """Shares of the time limit at which a case turns yellow and red."""

    yellow_at: float
    red_at: float

    def __post_init__(self) -> None:
        if not 0 < self.yellow_at < self.red_at:
            raise ValueError(
                f"supervision levels must rise: 0 < yellow_at {self.yellow_at} < red_at "
                f"{self.red_at}"
            )


@dataclass(frozen=True)
class Window:
    start_ms: int
    due_ms: int
    stop_ms: int | None  # the case stopped using its time (resolved) at this instant
    clock: str  # "working" or "natural"


@dataclass(frozen=True)
class Standing:
    """A case's supervision standing at one instant."""

    share: float
    colour: str
    due_ms: int


def window(view: CaseView) -> Window | None:
    """The time limit an open case is working towards, or None (closed, or no deadline)."""
    if not view.is_open:
        return None
    f = view.facts
    clock = str((f.get("policy") or {}).get("sla", {}).get("clock") or "working")
    if view.dispatched_ms is None:
        due = f.get("dispatch_due_ms")
        start = view.reported_ms
        stop = None
    else:
        due = f.get("dispose_due_ms")
        start = view.dispatched_ms
        stop = view.resolved_ms
    if due is None or start is None:
        return None
    return Window(int(start), int(due), stop, clock)


def minutes_between(calendar: WorkingCalendar, clock: str, start_ms: int, end_ms: int) -> float:
    if end_ms <= start_ms:
        return 0.0
    if clock == "natural":
        return (end_ms - start_ms) / 60_000
    return calendar.working_minutes_between(start_ms, end_ms)


def colour_of(share: float, levels: Levels) -> str:
    if share >= levels.red_at:
        return RED
    if share >= levels.yellow_at:
        return YELLOW
    return GREEN


def standing(
    view: CaseView, now_ms: int, levels: Levels, calendar: WorkingCalendar
) -> Standing | None:
    """Share of the time limit used at ``now_ms`` and its colour; None for a closed case or
    one without a deadline."""
    w = window(view)
    if w is None:
        return None
    end = now_ms if w.stop_ms is None else min(now_ms, w.stop_ms)
    allowed = minutes_between(calendar, w.clock, w.start_ms, w.due_ms)
    used = minutes_between(calendar, w.clock, w.start_ms, end)
    if allowed <= 0:  # a deadline with no time in it: used up once it has passed
        return _of(1.0 if end >= w.due_ms else 0.0, levels, w.due_ms)
    return _of(used / allowed, levels, w.due_ms)


def _of(share: float, levels: Levels, due_ms: int) -> Standing:
    share = round(share, 4)
    return Standing(share, colour_of(share, levels), due_ms)


def noticed(log: Iterable[CaseEvent], due_ms: int) -> bool:
    """Whether the log holds a supervision notice for the window ending at ``due_ms``."""
    return any(
        ev.action == "note"
        and ev.data.get("supervision") == NOTICE
        and ev.data.get("due_ms") == due_ms
        for ev in log
    )


def needs_notice(
    log: list[CaseEvent],
    view: CaseView,
    now_ms: int,
    levels: Levels,
    calendar: WorkingCalendar,
) -> Standing | None:
    """The standing that calls for a notice now (red, none given in this window), or None."""
    s = standing(view, now_ms, levels, calendar)
    if s is None or s.colour != RED or noticed(log, s.due_ms):
        return None
    return s


SKIP_NO_CASE_NO = "record without case_no"
SKIP_NO_LOG = "no events in its log"
SKIP_NO_POLICY = "no policy in its log"
SKIP_NO_PLACE = "no grid_code or category in its log"


def record_skip(record: Mapping[str, str]) -> str | None:
    """Why a case record cannot be watched (a half-written or foreign hash), None if it can."""
    return None if record.get("case_no") else SKIP_NO_CASE_NO


def log_skip(events: Sequence[CaseEvent], view: CaseView) -> str | None:
    """Why a case cannot get a notice (nothing to fold, or facts the notice's note and its
    superiors need are missing), None if it can."""
    if not events:
        return SKIP_NO_LOG
    if not isinstance(view.facts.get("policy"), dict):
        return SKIP_NO_POLICY
    if not view.facts.get("grid_code") or not view.facts.get("category"):
        return SKIP_NO_PLACE
    return None

"""Supervision colours by the share of the time limit used (pure, table-tested under a fake
clock), and when a red case calls for a notice."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.domain.calendar import WorkingCalendar
from hub.domain.case_state import CaseEvent, fold
from hub.domain.clock import FakeClock
from hub.domain.supervision import (
    Levels,
    colour_of,
    log_skip,
    needs_notice,
    record_skip,
    standing,
)

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar.from_strings("Asia/Shanghai", ["08:30-12:00", "13:30-17:30"], [6, 7], [], [])
LEVELS = Levels(yellow_at=0.5, red_at=0.8)
MIN = 60_000


def local(day: int, hh: int, mm: int = 0) -> int:
    """Milliseconds of 2026-11-<day> hh:mm in the district's time zone (23rd: a Monday)."""
    return int(dt.datetime(2026, 11, day, hh, mm, tzinfo=TZ).timestamp() * 1000)


MON_9 = local(23, 9)


def log(
    *steps: tuple[str, str, str, int, dict[str, Any]], clock: str = "working"
) -> list[CaseEvent]:
    out: list[CaseEvent] = [
        CaseEvent(
            1,
            MON_9,
            "edge:x",
            "report",
            "",
            "reported",
            data={
                "case_no": "33990120261123100001",
                "policy": {"sla": {"clock": clock}},
                "dispatch_due_ms": MON_9 + 30 * MIN,
            },
        )
    ]
    for action, frm, to, at, data in steps:
        out.append(CaseEvent(len(out) + 1, at, "system", action, frm, to, data=data))
    return out


# dispatched Monday 09:00 with 120 working minutes to dispose: due 11:00
DISPATCHED = log(
    ("file", "reported", "filed", MON_9, {}),
    ("dispatch", "filed", "dispatched", MON_9, {"dispose_due_ms": local(23, 11)}),
)
RESOLVED_10 = [
    *DISPATCHED,
    CaseEvent(4, MON_9, "p", "accept", "dispatched", "accepted"),
    CaseEvent(5, local(23, 10), "p", "resolve", "accepted", "resolved"),
]
CLOSED = [
    *RESOLVED_10,
    CaseEvent(6, local(23, 10), "s", "verify", "resolved", "verified"),
    CaseEvent(7, local(23, 10), "s", "close", "verified", "closed"),
]
# due Monday 17:00 (5 working hours after 09:00 with the lunch break): 300 minutes
DUE_17 = log(
    ("file", "reported", "filed", MON_9, {}),
    ("dispatch", "filed", "dispatched", MON_9, {"dispose_due_ms": local(23, 17)}),
)
NATURAL = log(
    ("file", "reported", "filed", MON_9, {}),
    ("dispatch", "filed", "dispatched", MON_9, {"dispose_due_ms": MON_9 + 100 * MIN}),
    clock="natural",
)


@pytest.mark.parametrize(
    ("name", "events", "minutes_after_9", "want"),
    [
        ("not dispatched: report → dispatch due", log(), 10, (0.3333, "green")),
        ("not dispatched, 25 of 30 min", log(), 25, (0.8333, "red")),
        ("dispatched, 30 of 120 min", DISPATCHED, 30, (0.25, "green")),
        ("dispatched, 60 of 120 min: yellow from half", DISPATCHED, 60, (0.5, "yellow")),
        ("dispatched, 95 of 120 min", DISPATCHED, 95, (0.7917, "yellow")),
        ("dispatched, 96 of 120 min: red from 0.8", DISPATCHED, 96, (0.8, "red")),
        ("overdue at 12:00: 180 of 120 min", DISPATCHED, 180, (1.5, "red")),
        ("resolved at 10:00: frozen at 60 of 120", RESOLVED_10, 300, (0.5, "yellow")),
        ("closed: no colour", CLOSED, 300, None),
        ("due 17:00: 390 working min; at noon 180 used", DUE_17, 180, (0.4615, "green")),
        ("the lunch break does not count: 13:30 as noon", DUE_17, 270, (0.4615, "green")),
        ("natural minutes count through lunch", NATURAL, 90, (0.9, "red")),
    ],
)
def test_standing_by_share_of_the_time_limit(
    name: str, events: list[CaseEvent], minutes_after_9: int, want: tuple[float, str] | None
) -> None:
    clock = FakeClock(MON_9)
    clock.advance(minutes=minutes_after_9)
    s = standing(fold(events), clock.now_ms(), LEVELS, CAL)
    assert (None if s is None else (s.share, s.colour)) == want, name


def test_colour_changes_as_the_fake_clock_runs_and_stands_still_overnight() -> None:
    # due 17:00 from 09:00: 390 working minutes; yellow from 195 used, red from 312
    clock = FakeClock(local(23, 13))
    view = fold(DUE_17)
    seen = []
    for _ in range(6):
        s = standing(view, clock.now_ms(), LEVELS, CAL)
        assert s is not None
        seen.append(s.colour)
        clock.advance(minutes=40)
    # 13:00 (lunch) 180, 13:40 190, 14:20 230, 15:00 270, 15:40 310, 16:20 350
    assert seen == ["green", "green", "yellow", "yellow", "yellow", "red"]
    night = standing(view, local(24, 3), LEVELS, CAL)
    evening = standing(view, local(23, 20), LEVELS, CAL)
    assert night == evening and night is not None and night.share == round(420 / 390, 4)


@pytest.mark.parametrize(
    ("share", "levels", "want"),
    [
        (0.0, LEVELS, "green"),
        (0.4999, LEVELS, "green"),
        (0.5, LEVELS, "yellow"),
        (0.7999, LEVELS, "yellow"),
        (0.8, LEVELS, "red"),
        (3.0, LEVELS, "red"),
        (0.95, Levels(0.9, 1.0), "yellow"),
        (1.0, Levels(0.9, 1.0), "red"),
    ],
)
def test_colour_of(share: float, levels: Levels, want: str) -> None:
    assert colour_of(share, levels) == want


@pytest.mark.parametrize(("yellow", "red"), [(0.8, 0.5), (0.5, 0.5), (0.0, 0.5), (-0.1, 0.5)])
def test_levels_must_rise(yellow: float, red: float) -> None:
    with pytest.raises(ValueError, match="levels must rise"):
        Levels(yellow, red)


def test_one_notice_per_window() -> None:
    now = MON_9 + 100 * MIN
    events = list(DISPATCHED)
    s = needs_notice(events, fold(events), now, LEVELS, CAL)
    assert s is not None and s.colour == "red" and s.due_ms == local(23, 11)
    events.append(
        CaseEvent(
            4,
            now,
            "system",
            "note",
            "dispatched",
            "dispatched",
            data={"supervision": "notice", "due_ms": s.due_ms},
        )
    )
    assert needs_notice(events, fold(events), now + MIN, LEVELS, CAL) is None
    # a new dispatch opens a new window: red again later calls for a new notice
    redo = local(23, 14)
    events += [
        CaseEvent(5, redo, "p", "return", "dispatched", "returned"),
        CaseEvent(
            6,
            redo,
            "s",
            "dispatch",
            "returned",
            "dispatched",
            data={"dispose_due_ms": local(23, 16)},
        ),
    ]
    assert needs_notice(events, fold(events), local(23, 15), LEVELS, CAL) is None
    later = needs_notice(events, fold(events), local(23, 15, 50), LEVELS, CAL)
    assert later is not None and later.due_ms == local(23, 16)
    # an operator's order is not a notice
    order = CaseEvent(
        7,
        redo,
        "op",
        "note",
        "dispatched",
        "dispatched",
        data={"supervision": "order", "due_ms": local(23, 16)},
    )
    assert needs_notice([*events, order], fold(events), local(23, 15, 50), LEVELS, CAL)


@pytest.mark.parametrize(
    ("record", "want"),
    [
        ({"case_no": "C1", "state": "dispatched"}, None),
        ({"state": "dispatched"}, "record without case_no"),
        ({"case_no": "", "state": "dispatched"}, "record without case_no"),
        ({}, "record without case_no"),
    ],
)
def test_record_skip(record: dict[str, str], want: str | None) -> None:
    assert record_skip(record) == want


def _report(data: dict[str, Any]) -> list[CaseEvent]:
    return [CaseEvent(1, MON_9, "edge:x", "report", "", "reported", data=data)]


FACTS = {"policy": {"sla": {"clock": "natural"}}, "grid_code": "g1", "category": "06010"}


@pytest.mark.parametrize(
    ("events", "want"),
    [
        (_report(FACTS), None),
        ([], "no events in its log"),
        (_report({k: v for k, v in FACTS.items() if k != "policy"}), "no policy in its log"),
        (_report({**FACTS, "policy": "routine"}), "no policy in its log"),
        (_report({**FACTS, "grid_code": ""}), "no grid_code or category in its log"),
        (
            _report({k: v for k, v in FACTS.items() if k != "category"}),
            "no grid_code or category in its log",
        ),
    ],
)
def test_log_skip(events: list[CaseEvent], want: str | None) -> None:
    assert log_skip(events, fold(events)) == want

"""Table tests: case numbers, state transitions, the fold, SLA calendar, escalation, KPIs."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.domain.calendar import WorkingCalendar, add_minutes
from hub.domain.case_number import Source, format_case_number, parse_case_number
from hub.domain.case_state import CaseView, TransitionError, fold, next_event
from hub.domain.escalation import FrozenPolicy, Sla, Step, should_escalate, step_deadline
from hub.domain.kpi import compute

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar.from_strings(
    "Asia/Shanghai",
    ["08:30-12:00", "13:30-17:30"],
    [6, 7],
    [dt.date(2026, 10, 1)],
    [dt.date(2026, 9, 27)],
)


def ms(y: int, mo: int, d: int, h: int, mi: int = 0) -> int:
    return int(dt.datetime(y, mo, d, h, mi, tzinfo=TZ).timestamp() * 1000)


@pytest.mark.parametrize(
    ("county", "seq", "expected"),
    [
        ("339901", 1, "33990120261123100001"),
        ("339901", 99999, "33990120261123199999"),
        ("33990", 1, "county code must be 6 digits, got '33990'"),
        ("339901", 0, "case sequence 0 is outside 1..99999"),
        ("339901", 100000, "case sequence 100000 is outside"),
    ],
)
def test_case_number(county: str, seq: int, expected: str) -> None:
    day = dt.date(2026, 11, 23)
    if expected.isdigit():
        number = format_case_number(county, day, Source.VIDEO_AI, seq)
        assert number == expected and len(number) == 20
        assert parse_case_number(number) == (county, day, Source.VIDEO_AI, seq)
    else:
        with pytest.raises(ValueError, match=expected):
            format_case_number(county, day, Source.VIDEO_AI, seq)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("3399012026112310000", "20 digits"),
        ("33990120261123500001", "20 digits"),
        ("33990120261323100001", "bad date"),
    ],
)
def test_bad_case_numbers(bad: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_case_number(bad)


def _run(actions: list[str]) -> CaseView:
    events = []
    view = CaseView()
    for i, action in enumerate(actions):
        data: dict[str, Any] = {"case_no": "x"} if action == "report" else {}
        if action == "dispatch":
            data = {"assignees": ["p1"], "tier": 0}
        if action == "escalate":
            data = {"tier": view.tier + 1, "assignees": [f"p{view.tier + 2}"]}
        ev = next_event(view, action, actor="t", at_ms=1000 * i, data=data)
        events.append(ev)
        view = fold(events)
    return view


@pytest.mark.parametrize(
    ("actions", "state", "tier"),
    [
        (["report", "file", "dispatch", "accept", "resolve", "verify", "close"], "closed", 0),
        (["report", "queue_for_verification", "reject"], "rejected", 0),
        (["report", "file", "dispatch", "escalate", "escalate", "accept"], "accepted", 2),
        (["report", "file", "dispatch", "accept", "resolve", "rework", "resolve"], "resolved", 0),
        (["report", "file", "dispatch", "return", "dispatch"], "dispatched", 0),
        (
            [
                "report",
                "file",
                "dispatch",
                "escalate",
                "accept",
                "resolve",
                "verify",
                "close",
                "reopen",
            ],
            "reopened",
            0,
        ),
    ],
)
def test_transitions(actions: list[str], state: str, tier: int) -> None:
    view = _run(actions)
    assert (view.state, view.tier) == (state, tier)


@pytest.mark.parametrize(
    ("actions", "error"),
    [
        (["report", "accept"], "cannot 'accept' a case in state 'reported'"),
        (["report", "file", "dispatch", "verify"], "cannot 'verify' a case in state 'dispatched'"),
        (["file"], r"cannot 'file' a case in state '\(new\)'"),
        (["report", "fly"], "unknown case action 'fly'"),
        (["report", "reject", "escalate"], "cannot 'escalate' a case in state 'rejected'"),
    ],
)
def test_refused_transitions(actions: list[str], error: str) -> None:
    with pytest.raises(TransitionError, match=error):
        _run(actions)


def test_closing_tier_and_rework_are_derived_from_the_log() -> None:
    v = _run(
        [
            "report",
            "file",
            "dispatch",
            "escalate",
            "accept",
            "resolve",
            "rework",
            "resolve",
            "verify",
            "close",
        ]
    )
    assert v.closing_tier == 1 and v.rework_count == 1 and v.escalations == (1,)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (ms(2026, 11, 23, 9, 0), 60, ms(2026, 11, 23, 10, 0)),  # Monday morning
        (ms(2026, 11, 23, 11, 30), 60, ms(2026, 11, 23, 14, 0)),  # over lunch
        (ms(2026, 11, 23, 17, 0), 60, ms(2026, 11, 24, 9, 0)),  # over night
        (ms(2026, 11, 27, 17, 0), 60, ms(2026, 11, 30, 9, 0)),  # Friday → Monday
        (ms(2026, 11, 22, 3, 0), 30, ms(2026, 11, 23, 9, 0)),  # Sunday night
        (ms(2026, 9, 30, 17, 0), 60, ms(2026, 10, 2, 9, 0)),  # holiday Oct 1 skipped
        (ms(2026, 9, 26, 17, 0), 30, ms(2026, 9, 27, 9, 0)),  # make-up Sunday is worked
        (ms(2026, 11, 23, 9, 0), 0, ms(2026, 11, 23, 9, 0)),
    ],
)
def test_working_minutes(start: int, minutes: int, due: int) -> None:
    assert CAL.add_working_minutes(start, minutes) == due
    assert CAL.working_minutes_between(start, due) == minutes


def test_natural_clock_ignores_the_calendar() -> None:
    start = ms(2026, 11, 22, 3, 0)
    assert add_minutes(CAL, "natural", start, 15) == start + 15 * 60_000
    with pytest.raises(ValueError, match="'lunar'"):
        add_minutes(CAL, "lunar", start, 15)


POLICY = FrozenPolicy(
    "default",
    (
        Step("grid", ("grid_member",), "accepted", "accept", 1.0),
        Step("upper_grid", ("community_duty",), "resolved", "dispose", 0.5),
        Step("enforcement", ("enforcement",)),
    ),
    Sla("working", 60, 60, 240),
)


def test_policy_round_trips_and_deadlines() -> None:
    assert FrozenPolicy.from_dict(POLICY.to_dict()) == POLICY
    t0 = ms(2026, 11, 23, 9, 0)
    assert step_deadline(POLICY, 0, t0, CAL) == ms(2026, 11, 23, 10, 0)
    assert step_deadline(POLICY, 1, t0, CAL) == ms(2026, 11, 23, 11, 0)
    assert step_deadline(POLICY, 2, t0, CAL) is None


@pytest.mark.parametrize(
    ("actions", "step", "expected"),
    [
        (["report", "file", "dispatch"], 0, True),
        (["report", "file", "dispatch", "accept"], 0, False),
        (["report", "file", "dispatch", "escalate"], 0, False),  # once per step
        (["report", "file", "dispatch", "escalate"], 1, True),
        (["report", "file", "dispatch", "escalate", "accept", "resolve"], 1, False),
        (["report", "file", "dispatch", "escalate", "escalate"], 2, False),  # last step
        (["report", "file"], 0, False),  # not dispatched
    ],
)
def test_should_escalate(actions: list[str], step: int, expected: bool) -> None:
    assert should_escalate(_run(actions), POLICY, step) is expected


def test_kpis_split_by_closing_tier() -> None:
    closed_grid = _run(["report", "file", "dispatch", "accept", "resolve", "verify", "close"])
    closed_upper = _run(
        ["report", "file", "dispatch", "escalate", "accept", "resolve", "verify", "close"]
    )
    open_case = _run(["report", "file", "dispatch"])
    k = compute([closed_grid, closed_upper, open_case], ["grid", "upper_grid", "enforcement"])
    assert k.cases == 3 and k.closed == 2
    assert k.tier_split == {"grid": 1, "upper_grid": 1, "enforcement": 0}
    assert k.closure_rate == pytest.approx(2 / 3, abs=1e-3)
    assert k.median_accept_s == pytest.approx(1.5)  # accepted 1 s and 2 s after dispatch

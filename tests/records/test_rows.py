"""Rows of the case history from case logs (pure, table-tested)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.case_state import CaseEvent
from hub.records.rows import assignment_rows, at, case_row, event_of, event_row, source_rows

NO = "33990120261123100001"
T = 1_795_000_000_000
MIN = 60_000


def ev(seq: int, action: str, frm: str, to: str, minute: int, **data: Any) -> CaseEvent:
    return CaseEvent(seq, T + minute * MIN, "system", action, frm, to, None, None, data)


REPORT = ev(
    1,
    "report",
    "",
    "reported",
    0,
    case_no=NO,
    source="video_ai",
    grid_code="339901001001007",
    category="06010",
    urgency="routine",
    camera_id="cam-01",
)
FILE = ev(2, "file", "reported", "filed", 0)
DISPATCH = ev(
    3,
    "dispatch",
    "filed",
    "dispatched",
    1,
    assignees=["p-m"],
    tier=0,
    dispose_due_ms=T + 60 * MIN,
    joint={"commander": "sc-1", "lead": "enf-1", "cooperating": ["p-m", "cd-1"]},
)
ACCEPT = ev(4, "accept", "dispatched", "accepted", 5)
ESCALATE = ev(5, "escalate", "accepted", "accepted", 30, tier=1, assignees=["p-l"])
RESOLVE_EARLY = ev(6, "resolve", "accepted", "resolved", 50)
RESOLVE_LATE = ev(6, "resolve", "accepted", "resolved", 61)
VERIFY = ev(7, "verify", "resolved", "verified", 62)
CLOSE = ev(8, "close", "verified", "closed", 62)
OPEN_LOG = [REPORT, FILE, DISPATCH, ACCEPT]


@pytest.mark.parametrize(
    ("log", "want"),
    [
        (
            OPEN_LOG,
            {"state": "accepted", "is_open": True, "on_time": None, "tier": 0, "events": 4},
        ),
        (
            [*OPEN_LOG, ESCALATE, RESOLVE_EARLY, VERIFY, CLOSE],
            {"state": "closed", "is_open": False, "on_time": True, "closing_tier": 1},
        ),
        (
            [*OPEN_LOG, ESCALATE, RESOLVE_LATE, VERIFY, CLOSE],
            {"state": "closed", "on_time": False, "escalations": 1, "tier": 1},
        ),
        (
            [*OPEN_LOG[:2], ev(3, "reject", "filed", "rejected", 1)],
            {"state": "rejected", "is_open": False, "on_time": None, "dispatched_at": None},
        ),
        (
            OPEN_LOG,
            {
                "grid_code": "339901001001007",
                "community_code": "339901001001",
                "street_code": "339901001",
                "county_code": "339901",
                "reported_at": at(T),
                "accepted_at": at(T + 5 * MIN),
                "dispose_due_at": at(T + 60 * MIN),
                "last_event_at": at(T + 5 * MIN),
                "source": "video_ai",
            },
        ),
    ],
)
def test_case_row(log: list[CaseEvent], want: dict[str, Any]) -> None:
    row = case_row(NO, log)
    assert {k: row[k] for k in want} == want


def _note(seq: int, **data: Any) -> CaseEvent:
    return CaseEvent(seq, T + seq * MIN, "system", "note", "closed", "closed", None, "n", data)


@pytest.mark.parametrize(
    ("extra", "want"),
    [
        ([], (None, 0, 0)),
        (
            [
                _note(9, supervision="notice", due_ms=1),
                _note(10, supervision="order", deadline_ms=2),
                _note(11, supervision="order", deadline_ms=3),
                _note(12, verification="human"),
            ],
            (None, 1, 2),
        ),
        ([ev(9, "evaluate", "closed", "evaluated", 70, score=2, by="citizen")], (2, 0, 0)),
    ],
)
def test_case_row_ratings_and_supervision(
    extra: list[CaseEvent], want: tuple[int | None, int, int]
) -> None:
    log = [*OPEN_LOG, ESCALATE, RESOLVE_EARLY, VERIFY, CLOSE, *extra]
    row = case_row(NO, log)
    assert (row["satisfaction"], row["supervision_notices"], row["supervision_orders"]) == want


def test_an_empty_log_has_no_row() -> None:
    with pytest.raises(ValueError, match="empty log"):
        case_row(NO, [])


@pytest.mark.parametrize(
    ("event", "want"),
    [
        (
            DISPATCH,
            {
                ("assignee", "p-m", 0),
                ("commander", "sc-1", 0),
                ("lead", "enf-1", 0),
                ("cooperating", "p-m", 0),
                ("cooperating", "cd-1", 0),
            },
        ),
        (ESCALATE, {("assignee", "p-l", 1)}),
        (
            ev(5, "reassign", "accepted", "accepted", 9, assignees=["a", "b"]),
            {
                ("assignee", "a", None),
                ("assignee", "b", None),
            },
        ),
        (
            ev(5, "joint", "filed", "filed", 9, commander="c", lead="", cooperating=["x"]),
            {("commander", "c", None), ("cooperating", "x", None)},
        ),
        (ACCEPT, set()),
        (REPORT, set()),
    ],
)
def test_assignment_rows(event: CaseEvent, want: set[tuple[str, str, int | None]]) -> None:
    got = assignment_rows(NO, event)
    assert {(r["role"], r["person_id"], r["tier"]) for r in got} == want
    assert all(r["seq"] == event.seq and r["at"] == at(event.at_ms) for r in got)


@pytest.mark.parametrize(
    ("log", "want"),
    [
        ([REPORT, FILE], [("video_ai", 1)]),
        (
            [
                REPORT,
                ev(2, "attach_alarm", "reported", "reported", 1, alarm_key="k2"),
                ev(3, "attach_report", "reported", "reported", 2, source="hotline"),
                ev(4, "attach_report", "reported", "reported", 3, source="hotline"),
            ],
            [("video_ai", 1), ("hotline", 3)],
        ),
        (
            [ev(1, "report", "", "reported", 0, case_no=NO, source="grid_member")],
            [("grid_member", 1)],
        ),
    ],
)
def test_source_rows(log: list[CaseEvent], want: list[tuple[str, int]]) -> None:
    assert [(r["source"], r["seq"]) for r in source_rows(NO, log)] == want


def test_event_row_round_trips() -> None:
    for event in (REPORT, DISPATCH, CLOSE):
        assert event_of(event_row(NO, event)) == event

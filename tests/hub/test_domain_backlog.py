"""The open/overdue gauges' rule, by table."""

from __future__ import annotations

import pytest

from hub.domain.case_state import CaseView
from hub.domain.kpi import backlog

NOW = 1_000_000


def view(state: str, due: int | None = None, resolved: int | None = None) -> CaseView:
    return CaseView(
        case_no="1",
        state=state,
        resolved_ms=resolved,
        facts={} if due is None else {"dispose_due_ms": due},
    )


@pytest.mark.parametrize(
    ("views", "expected"),
    [
        ([], (0, 0)),
        ([view("dispatched", due=NOW + 1)], (1, 0)),
        ([view("dispatched", due=NOW - 1)], (1, 1)),
        ([view("in_progress", due=NOW - 1), view("closed", due=NOW - 1)], (1, 1)),
        ([view("resolved", due=NOW - 1, resolved=NOW - 5)], (1, 0)),  # resolved in time to verify
        ([view("reported")], (1, 0)),  # no deadline yet
    ],
)
def test_backlog(views: list[CaseView], expected: tuple[int, int]) -> None:
    assert backlog(views, NOW) == expected

"""Ratings of closed cases: what a rating may be, when it reopens, the latest score."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.case_state import CaseEvent
from hub.domain.evaluation import check_rating, may_reopen, satisfaction


@pytest.mark.parametrize(
    ("score", "by", "comment", "error"),
    [
        (5, "citizen", "很及时", None),
        (1, "hotline", None, None),
        (3, "grid_member", "  ", None),
        (0, "citizen", "", "from 1 to 5, got 0"),
        (6, "citizen", "", "from 1 to 5, got 6"),
        (True, "citizen", "", "from 1 to 5, got True"),
        (4.5, "citizen", "", "from 1 to 5, got 4.5"),
        (4, "mayor", "", "one of ['citizen', 'grid_member', 'hotline'], got 'mayor'"),
        (4, "citizen", "x" * 501, "comment is 501 characters, at most 500"),
    ],
)
def test_check_rating(score: Any, by: str, comment: str | None, error: str | None) -> None:
    if error is None:
        r = check_rating(score, by, comment)
        assert (r.score, r.by, r.comment) == (score, by, (comment or "").strip())
    else:
        with pytest.raises(ValueError, match=error.replace("[", r"\[").replace("]", r"\]")):
            check_rating(score, by, comment)


@pytest.mark.parametrize(
    ("score", "below", "want"),
    [(1, 3, True), (2, 3, True), (3, 3, False), (5, 6, True), (1, 1, False)],
)
def test_may_reopen(score: int, below: int, want: bool) -> None:
    assert may_reopen(score, below) is want


def _ev(seq: int, action: str, **data: Any) -> CaseEvent:
    return CaseEvent(seq, seq, "x", action, "closed", "evaluated", data=data)


@pytest.mark.parametrize(
    ("log", "want"),
    [
        ([], None),
        ([_ev(1, "close")], None),
        ([_ev(1, "evaluate", score=2)], 2),
        ([_ev(1, "evaluate", score=2), _ev(2, "reopen"), _ev(3, "evaluate", score=5)], 5),
        ([_ev(1, "evaluate", score="5")], None),
    ],
)
def test_satisfaction_is_the_latest_score(log: list[CaseEvent], want: int | None) -> None:
    assert satisfaction(log) == want

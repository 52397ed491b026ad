"""Evaluation (评价) of a closed case: who rated it (the citizen who reported it, the grid
member, or a 12345 follow-up call), a score of 1 to 5 and a comment. A score below the
configured threshold lets the case be reopened. Recorded as the case's ``evaluate`` event
(``data.score``, ``data.by``; the comment is its note)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.domain.case_state import CaseEvent

RATERS = ("citizen", "grid_member", "hotline")
COMMENT_MAX = 500


@dataclass(frozen=True)
class Rating:
    score: int
    by: str
    comment: str


def check_rating(score: int, by: str, comment: str | None) -> Rating:
    """A rating as given, or ``ValueError`` saying what is wrong with it."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"score must be a whole number from 1 to 5, got {score!r}")
    if by not in RATERS:
        raise ValueError(f"a rating comes from one of {list(RATERS)}, got {by!r}")
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise ValueError(f"comment is {len(text)} characters, at most {COMMENT_MAX}")
    return Rating(score, by, text)


def may_reopen(score: int, reopen_below: int) -> bool:
    """Whether a case rated ``score`` may be reopened on that rating."""
    return score < reopen_below


def satisfaction(log: Iterable[CaseEvent]) -> int | None:
    """The case's latest score (a reopened and re-closed case is rated again), or None."""
    score = None
    for ev in log:
        if ev.action == "evaluate" and isinstance(ev.data.get("score"), int):
            score = int(ev.data["score"])
    return score

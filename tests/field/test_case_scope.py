"""The responder scope on its own: who sees which change of a case, as of that change."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.case_state import CaseEvent
from hub.push.case_scope import ResponderScope


def ev(seq: int, action: str, to: str, **data: Any) -> CaseEvent:
    return CaseEvent(seq, seq * 1000, "system:test", action, "", to, data=data)


LOG = [
    ev(1, "report", "reported"),
    ev(2, "file", "filed"),
    ev(3, "dispatch", "dispatched", assignees=["m", "l"]),
    ev(4, "accept", "accepted"),
    ev(5, "escalate", "accepted", tier=1, assignees=["u"]),
    ev(6, "note", "accepted"),
]


@pytest.mark.parametrize(
    ("person", "sees"),
    [
        ("m", [3, 4, 5]),  # dispatched to them, then taken off by the escalation
        ("l", [3, 4, 5]),
        ("u", [5, 6]),  # the upper tier from the escalation on
        ("x", []),
    ],
)
async def test_who_sees_which_change(person: str, sees: list[int]) -> None:
    async def load(case_no: str, n: int) -> list[CaseEvent]:
        assert case_no == "c1"
        return LOG[:n]

    live = ResponderScope(person, load)
    assert [e.seq for e in LOG if await live.admits("c1", e.to_dict())] == sees
    assert live.loads == 1  # the first change; the rest advanced in memory
    for start in range(len(LOG)):  # resumed after any change: the same answer from there
        resumed = ResponderScope(person, load)
        got = [e.seq for e in LOG[start:] if await resumed.admits("c1", e.to_dict())]
        assert got == [s for s in sees if s > start]


async def test_a_scope_needs_a_person() -> None:
    async def load(case_no: str, n: int) -> list[CaseEvent]:
        return []

    with pytest.raises(ValueError, match="got an empty one"):
        ResponderScope("", load)

"""Table tests: 1+1+X turnout from a joint command's time and its units' acknowledgements."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.case_state import CaseView, fold, next_event
from hub.domain.turnout import TurnoutError, check_ack, named_units, turnout

JOINT = {"commander": "cmd", "lead": "lead", "cooperating": ["m1", "duty", "lead"]}
T0 = 1_000_000
MIN = 60_000


@pytest.mark.parametrize(
    ("acks", "now", "pending", "turnout_s", "on_time", "elapsed_s"),
    [
        ({}, T0 + 3 * MIN, ["cmd", "lead", "m1", "duty"], None, None, 180.0),
        ({"cmd": T0 + MIN, "lead": T0 + 2 * MIN}, T0 + 5 * MIN, ["m1", "duty"], None, None, 300.0),
        # still pending past the 10 minutes: late already
        ({"cmd": T0 + MIN}, T0 + 11 * MIN, ["lead", "m1", "duty"], None, False, 660.0),
        # all in: the last acknowledgement ends the count, whatever the time now
        (
            {"cmd": T0 + MIN, "lead": T0 + 2 * MIN, "m1": T0 + 7 * MIN, "duty": T0 + 4 * MIN},
            T0 + 60 * MIN,
            [],
            420.0,
            True,
            420.0,
        ),
        (
            {"cmd": T0, "lead": T0, "m1": T0, "duty": T0 + 10 * MIN + 1000},
            T0 + 60 * MIN,
            [],
            601.0,
            False,
            601.0,
        ),
        # an acknowledgement from someone no longer named does not count
        ({"old": T0, "cmd": T0}, T0 + MIN, ["lead", "m1", "duty"], None, None, 60.0),
    ],
)
def test_turnout(
    acks: dict[str, int],
    now: int,
    pending: list[str],
    turnout_s: float | None,
    on_time: bool | None,
    elapsed_s: float,
) -> None:
    facts = {"joint": JOINT, "joint_ms": T0, "joint_acks": acks}
    t = turnout(facts, now, 600.0)
    assert t is not None
    assert list(t.pending) == pending
    assert (t.turnout_s, t.on_time, t.elapsed_s) == (turnout_s, on_time, elapsed_s)
    assert t.units == ("cmd", "lead", "m1", "duty")


@pytest.mark.parametrize(
    ("facts", "expected"),
    [({}, None), ({"joint": JOINT}, None), ({"joint": {}, "joint_ms": T0}, None)],
)
def test_no_turnout_without_a_command(facts: dict[str, Any], expected: None) -> None:
    assert turnout(facts, T0, 600) is expected


@pytest.mark.parametrize(
    ("joint", "person", "error"),
    [
        (JOINT, "m1", None),
        (JOINT, "lead", None),
        (JOINT, "stranger", "'stranger' is not named in the 1\\+1\\+X command"),
        (JOINT, None, "None is not named"),
        (None, "m1", "no 1\\+1\\+X command"),
    ],
)
def test_check_ack(joint: dict[str, Any] | None, person: str | None, error: str | None) -> None:
    if error is None:
        assert check_ack(joint, person) == person
    else:
        with pytest.raises(TurnoutError, match=error):
            check_ack(joint, person)


def test_the_log_folds_command_and_acknowledgements() -> None:
    assert named_units(JOINT) == ("cmd", "lead", "m1", "duty")
    view, events = CaseView(), []
    steps: list[tuple[str, int, dict[str, Any]]] = [
        ("report", T0, {}),
        ("file", T0, {}),
        ("dispatch", T0, {"assignees": ["m1"], "joint": JOINT}),
        ("joint_ack", T0 + MIN, {"person": "cmd"}),
        ("joint_ack", T0 + 2 * MIN, {"person": "cmd"}),  # a second one: the first counts
        ("joint_ack", T0 + 3 * MIN, {"person": "lead"}),
    ]
    for action, at, data in steps:
        events.append(next_event(view, action, actor="t", at_ms=at, data=data))
        view = fold(events)
    assert view.facts["joint_ms"] == T0
    assert view.facts["joint_acks"] == {"cmd": T0 + MIN, "lead": T0 + 3 * MIN}
    # a new joint command starts the count again
    events.append(next_event(view, "joint", actor="op", at_ms=T0 + 5 * MIN, data=JOINT))
    view = fold(events)
    assert (view.facts["joint_ms"], view.facts["joint_acks"]) == (T0 + 5 * MIN, {})

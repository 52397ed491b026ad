"""Table tests for the push policy: what is sent, held, or kept quiet."""

from __future__ import annotations

import pytest

from hub.domain.case_state import CaseView
from hub.domain.push_policy import (
    OnCase,
    PushPolicy,
    PushPolicyConfig,
    Release,
    Verdict,
    notices_for,
)

S = 1000
CFG = PushPolicyConfig(coalesce_s=20, quiet_s=600, max_per_minute=3)

# rows: (steps as (t_s, person, case, kind) -> expected verdict, kind sent as)
ROWS = [
    ("first dispatch goes out", [(0, "a", "c1", "dispatch", "send", "dispatch")]),
    (
        "replayed dispatch is a duplicate",
        [
            (0, "a", "c1", "dispatch", "send", "dispatch"),
            (5, "a", "c1", "dispatch", "quiet", "dispatch"),
        ],
    ),
    (
        "dispatch again after the window goes out",
        [
            (0, "a", "c1", "dispatch", "send", "dispatch"),
            (25, "a", "c1", "dispatch", "send", "dispatch"),
        ],
    ),
    (
        "escalation right after dispatch still goes out",
        [
            (0, "a", "c1", "dispatch", "send", "dispatch"),
            (1, "a", "c1", "escalation", "send", "escalation"),
        ],
    ),
    (
        "update inside the window is held",
        [
            (0, "a", "c1", "dispatch", "send", "dispatch"),
            (3, "a", "c1", "update", "hold", "update"),
        ],
    ),
    (
        "update long after goes out",
        [
            (0, "a", "c1", "dispatch", "send", "dispatch"),
            (30, "a", "c1", "update", "send", "update"),
        ],
    ),
    (
        "retrigger inside quiet time is quiet",
        [
            (0, "a", "c1", "dispatch", "send", "dispatch"),
            (300, "a", "c1", "retrigger", "quiet", "reminder"),
        ],
    ),
    (
        "retrigger after quiet time is one reminder",
        [
            (0, "a", "c1", "dispatch", "send", "dispatch"),
            (601, "a", "c1", "retrigger", "send", "reminder"),
            (602, "a", "c1", "retrigger", "quiet", "reminder"),
        ],
    ),
    (
        "other person, other case: independent",
        [
            (0, "a", "c1", "dispatch", "send", "dispatch"),
            (1, "b", "c1", "dispatch", "send", "dispatch"),
            (2, "a", "c2", "dispatch", "send", "dispatch"),
        ],
    ),
    (
        "cap per minute holds the fourth",
        [
            (0, "a", "c1", "dispatch", "send", "dispatch"),
            (1, "a", "c2", "dispatch", "send", "dispatch"),
            (2, "a", "c3", "dispatch", "send", "dispatch"),
            (3, "a", "c4", "dispatch", "hold", "dispatch"),
        ],
    ),
]


@pytest.mark.parametrize(("name", "steps"), ROWS, ids=[r[0] for r in ROWS])
def test_offer_table(name: str, steps: list[tuple[int, str, str, str, str, str]]) -> None:
    policy = PushPolicy(CFG)
    for t, person, case, kind, verdict, sent_as in steps:
        d = policy.offer(person, case, kind, t * S)  # type: ignore[arg-type]
        assert (d.verdict.value, d.kind) == (verdict, sent_as), (name, t, d)


def test_updates_in_a_window_fold_into_one_release() -> None:
    policy = PushPolicy(CFG)
    assert policy.offer("a", "c1", "dispatch", 0).verdict is Verdict.SEND
    for t in (2, 4, 6, 8):
        d = policy.offer("a", "c1", "update", t * S)
        assert d.verdict is Verdict.HOLD and d.due_ms == 20 * S
    assert policy.due(19 * S) == []
    assert policy.due(20 * S) == [Release("a", "c1", "update", 4)]
    assert policy.due(21 * S) == []  # released once
    assert policy.next_due_ms() is None


def test_storm_of_retriggers_is_flattened() -> None:
    policy = PushPolicy(CFG)
    sent = [policy.offer("a", "c1", "dispatch", 0).verdict]
    sent += [policy.offer("a", "c1", "retrigger", t * 100).verdict for t in range(1, 500)]
    assert sent.count(Verdict.SEND) == 1
    assert policy.due(10**9) == []


def test_capped_dispatch_is_released_when_the_minute_frees_up() -> None:
    policy = PushPolicy(CFG)
    for i, case in enumerate(["c1", "c2", "c3"]):
        policy.offer("a", case, "dispatch", i * S)
    held = policy.offer("a", "c4", "dispatch", 3 * S)
    assert held.verdict is Verdict.HOLD and held.due_ms == 60 * S
    assert policy.offer("a", "c4", "update", 4 * S).verdict is Verdict.HOLD
    assert policy.due(59 * S) == []
    assert policy.due(60 * S) == [Release("a", "c4", "dispatch", 2)]


def test_forget_drops_a_case() -> None:
    policy = PushPolicy(CFG)
    policy.offer("a", "c1", "dispatch", 0)
    policy.offer("a", "c1", "update", S)
    policy.forget("c1")
    assert policy.next_due_ms() is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coalesce_s": -1}, "coalesce_s must be 0..3600, got -1"),
        ({"quiet_s": 10**6}, "quiet_s must be 0..86400, got 1000000"),
        ({"max_per_minute": 0}, "max_per_minute must be 1..600, got 0"),
    ],
)
def test_config_bounds(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PushPolicyConfig(**kwargs)  # type: ignore[arg-type]


def test_unknown_kind_is_named() -> None:
    with pytest.raises(ValueError, match="unknown notice kind 'ping'"):
        PushPolicy(CFG).offer("a", "c1", "ping", 0)  # type: ignore[arg-type]


def on(assignees: str = "", joint: str = "") -> OnCase:
    """People on a case, written as space-separated ids ("a b"; joint: commander lead coop…)."""
    return OnCase(tuple(assignees.split()), tuple(joint.split()))


# rows: (why, action, actor, before, after, expected notices)
NOTICE_ROWS = [
    ("dispatch wakes the named", "dispatch", "system", on(), on("a b"), "a:dispatch b:dispatch"),
    ("escalation the next tier", "escalate", "system", on("a"), on("c"), "c:escalation"),
    (
        "retrigger the assignees",
        "attach_alarm",
        "system",
        on("a b"),
        on("a b"),
        "a:retrigger b:retrigger",
    ),
    ("rework is an update", "rework", "op-1", on("a"), on("a"), "a:update"),
    ("a note tells the others", "note", "a", on("a b"), on("a b"), "b:update"),
    ("own accept pushes nothing", "accept", "a", on("a"), on("a"), ""),
    ("own resolve pushes nothing", "resolve", "a", on("a"), on("a"), ""),
    ("one push per person", "dispatch", "system", on(), on("a a"), "a:dispatch"),
    # reassign: a dispatch for the new, an update for the kept, nothing for the removed
    ("reassign to another", "reassign", "op-1", on("a"), on("b"), "b:dispatch"),
    ("reassign adds a partner", "reassign", "op-1", on("a"), on("a b"), "b:dispatch a:update"),
    ("reassign drops one of two", "reassign", "op-1", on("a b"), on("b"), "b:update"),
    ("reassign to the same", "reassign", "op-1", on("a"), on("a"), "a:update"),
    ("reassign to the actor", "reassign", "op-1", on("a"), on("op-1"), ""),
    ("reassign to two new", "reassign", "op-1", on("a"), on("b c"), "b:dispatch c:dispatch"),
    # 1+1+X: newly named people are dispatched, those already on the case updated
    (
        "joint names three",
        "joint",
        "op-1",
        on("a"),
        on("a", "k l x"),
        "k:dispatch l:dispatch x:dispatch a:update",
    ),
    (
        "joint names an assignee lead",
        "joint",
        "op-1",
        on("a"),
        on("a", "k a"),
        "k:dispatch a:update",
    ),
    (
        "joint adds one cooperating",
        "joint",
        "op-1",
        on("a", "k l"),
        on("a", "k l y"),
        "y:dispatch a:update",
    ),
    (
        "joint swaps the commander",
        "joint",
        "op-1",
        on("a", "k l"),
        on("a", "m l"),
        "m:dispatch a:update",
    ),
    ("joint names no one new", "joint", "op-1", on("a", "k l x"), on("a", "k l"), ""),
    ("joint names the actor", "joint", "k", on("a"), on("a", "k l"), "l:dispatch a:update"),
    (
        "dispatch with a joint command",
        "dispatch",
        "system",
        on(),
        on("a", "k a x"),
        "a:dispatch k:dispatch x:dispatch",
    ),
    ("re-dispatch, same joint", "dispatch", "system", on("a", "k l"), on("a", "k l"), "a:dispatch"),
]


@pytest.mark.parametrize(
    ("action", "actor", "before", "after", "expected"),
    [row[1:] for row in NOTICE_ROWS],
    ids=[row[0] for row in NOTICE_ROWS],
)
def test_notices_for(action: str, actor: str, before: OnCase, after: OnCase, expected: str) -> None:
    want = [tuple(x.split(":")) for x in expected.split()]
    assert notices_for(action, actor, before, after) == want


def test_people_on_a_case_from_its_view() -> None:
    view = CaseView(
        assignees=("a", "b"),
        facts={"joint": {"commander": "k", "lead": None, "cooperating": ["x", "y"]}},
    )
    assert OnCase.of(view) == OnCase(("a", "b"), ("k", "x", "y"))
    assert OnCase.of(CaseView()) == OnCase()

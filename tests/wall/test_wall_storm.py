"""Table tests of the wall's storm rule (hub/domain/wall_storm.py): takeovers per monitor per
minute, severity first, one tile per grid, the rest queued and counted."""

from __future__ import annotations

import pytest

from hub.domain.wall_rules import AlarmTile, QueuedAlarm, WallRuleError, WallState, content_at
from hub.domain.wall_storm import StormPolicy, budget_left, drain, place, queue_by_grid

MIN = 60_000


def a(alarm_id: str, grid: str, severity: int = 1, since: int = 0) -> QueuedAlarm:
    return QueuedAlarm(alarm_id, f"cam-{alarm_id}", severity, since, grid)


def on_tiles(state: WallState) -> list[str]:
    return [t.alarm_id for m in state.monitors for t in m.tiles if isinstance(t, AlarmTile)]


def queued(state: WallState) -> list[str]:
    return [q.alarm_id for q in state.queue]


# (what, policy, monitors, alarms as (alarm, at_ms), on tiles, queued in order)
ROWS = [
    (
        "a quiet wall: every alarm takes a tile",
        StormPolicy(takeovers_per_min=6),
        1,
        [(a("x1", "g1"), 0), (a("x2", "g2"), 1), (a("x3", "g3"), 2)],
        ["x1", "x2", "x3"],
        [],
    ),
    (
        "the budget spent: the rest wait, most severe first, then oldest",
        StormPolicy(takeovers_per_min=2, urgent_reserve=0),
        1,
        [(a(f"x{i}", f"g{i}", severity=1 + (i == 4), since=i), i) for i in range(1, 6)],
        ["x1", "x2"],
        ["x4", "x3", "x5"],
    ),
    (
        "routine alarms leave the reserve to an urgent one",
        StormPolicy(takeovers_per_min=3, urgent_reserve=1),
        1,
        [(a(f"x{i}", f"g{i}", severity=1 + (i == 4), since=i), i) for i in range(1, 6)],
        ["x1", "x2", "x4"],
        ["x3", "x5"],
    ),
    (
        "the budget is per monitor: a second alarm monitor takes its own",
        StormPolicy(takeovers_per_min=1, urgent_reserve=0),
        2,
        [(a("x1", "g1"), 0), (a("x2", "g2"), 1), (a("x3", "g3"), 2)],
        ["x1"],
        ["x2", "x3"],
    ),
    (
        "one tile per grid: the grid's next alarms wait, another grid's do not",
        StormPolicy(takeovers_per_min=6),
        1,
        [(a("x1", "g1"), 0), (a("x2", "g1"), 1), (a("x3", "g2"), 2), (a("x4", "g1"), 3)],
        ["x1", "x3"],
        ["x2", "x4"],
    ),
    (
        "a more severe alarm of a shown grid takes a tile of its own",
        StormPolicy(takeovers_per_min=6),
        1,
        [(a("x1", "g1"), 0), (a("x2", "g1", severity=2), 1)],
        ["x1", "x2"],
        [],
    ),
    (
        "coalescing off: the same grid takes two tiles",
        StormPolicy(takeovers_per_min=6, coalesce_per_grid=False),
        1,
        [(a("x1", "g1"), 0), (a("x2", "g1"), 1)],
        ["x1", "x2"],
        [],
    ),
    (
        "an old takeover leaves the window: the next alarm takes a tile",
        StormPolicy(takeovers_per_min=1, urgent_reserve=0),
        1,
        [(a("x1", "g1"), 0), (a("x2", "g2"), MIN)],
        ["x1", "x2"],
        [],
    ),
    (
        "an alarm already shown is updated in place, whatever the budget",
        StormPolicy(takeovers_per_min=1, urgent_reserve=0),
        1,
        [(a("x1", "g1"), 0), (a("x1", "g1", severity=2), 1)],
        ["x1"],
        [],
    ),
]


@pytest.mark.parametrize(
    ("what", "policy", "monitors", "alarms", "tiles", "queue"), ROWS, ids=[r[0] for r in ROWS]
)
def test_storm_placement(
    what: str,
    policy: StormPolicy,
    monitors: int,
    alarms: list[tuple[QueuedAlarm, int]],
    tiles: list[str],
    queue: list[str],
) -> None:
    state = WallState.new(1, monitors, "4", alarm_monitors=[0])
    for alarm, at in alarms:
        state, _ = place(state, alarm, at, policy)
    assert on_tiles(state) == tiles
    assert queued(state) == queue


def test_a_storm_of_1200_alarms_takes_at_most_the_budget_per_minute() -> None:
    """1,200 alarms over 60 s on a 4-monitor wall of 16 tiles: 6 takeovers a monitor a
    minute, two of them kept for urgent alarms; the rest counted per grid for the queue
    panel."""
    policy = StormPolicy(takeovers_per_min=6)
    state = WallState.new(2, 2, "16")
    for i in range(1200):
        at = i * 50
        alarm = a(f"x{i:04d}", f"g{i % 400}", 2 if i % 10 == 0 else 1, at)
        state, _ = place(state, alarm, at, policy)
        state = drain(state, at, policy)
    # 4 monitors × 6 takeovers in the minute, whatever arrived
    assert len(on_tiles(state)) == 24 and len(state.queue) == 1200 - 24
    shown = [content_at(state, (m, s)) for m in range(4) for s in range(16)]
    severities = sorted(t.severity for t in shown if isinstance(t, AlarmTile))
    assert severities.count(2) >= 8  # at least the 2 a monitor kept for urgent alarms
    panel = queue_by_grid(state, top=3)
    assert [g.severity for g in panel] == [2, 2, 2] and sum(g.count for g in panel) < 1200


def test_drain_lets_the_most_severe_in_as_the_budget_comes_back() -> None:
    policy = StormPolicy(takeovers_per_min=1, urgent_reserve=0)
    state = WallState.new(1, 1, "4")
    state, _ = place(state, a("x1", "g1"), 0, policy)
    state, _ = place(state, a("x2", "g2", since=1), 1, policy)
    state, _ = place(state, a("x3", "g3", severity=2, since=2), 2, policy)
    assert drain(state, 30_000, policy) == state  # the minute is not over: nothing moves
    state = drain(state, MIN, policy)
    assert on_tiles(state) == ["x1", "x3"] and queued(state) == ["x2"]
    assert budget_left(state, 0, MIN, policy) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"takeovers_per_min": 0}, "takeovers_per_min must be at least 1, got 0"),
        ({"takeovers_per_min": 2, "urgent_reserve": 2}, "urgent_reserve 2 must be 0 to"),
        ({"window_ms": 10}, "window_ms must be at least 1000, got 10"),
    ],
)
def test_bad_policy_is_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(WallRuleError, match=message):
        StormPolicy(**kwargs)  # type: ignore[arg-type]

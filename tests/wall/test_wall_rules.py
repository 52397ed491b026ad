"""Table tests of the wall's pure switching rule (hub/domain/wall_rules.py)."""

from __future__ import annotations

import pytest

from hub.domain.wall_rules import (
    LAYOUTS,
    AlarmTile,
    CameraTile,
    QueuedAlarm,
    SceneMonitor,
    WallRuleError,
    WallState,
    apply_scene,
    assign_camera,
    content_at,
    find_alarm,
    place_alarm,
    revert_alarm,
    set_layout,
    tour_position,
)


def q(alarm_id: str, severity: int = 1, since: int = 100) -> QueuedAlarm:
    return QueuedAlarm(alarm_id, f"cam-{alarm_id}", severity, since)


@pytest.mark.parametrize(
    ("name", "video", "panels"),
    [
        ("1", 1, 0),
        ("4", 4, 0),
        ("9", 9, 0),
        ("16", 16, 0),
        ("1+5", 6, 0),
        ("1+7", 8, 0),
        ("map+5", 5, 1),
        ("map+kpi+6", 6, 2),
    ],
)
def test_layouts_cover_their_grid_without_overlap(name: str, video: int, panels: int) -> None:
    layout = LAYOUTS[name]
    assert layout.video_slots == video
    assert len(layout.slots) - video == panels
    cells = [
        (c, r)
        for s in layout.slots
        for c in range(s.col, s.col + s.w)
        for r in range(s.row, s.row + s.h)
    ]
    assert sorted(cells) == sorted((c, r) for c in range(layout.cols) for r in range(layout.rows))


def _wall_with_cameras(times: list[int]) -> WallState:
    """One monitor, layout 4, cameras placed at the given times (None for empty)."""
    state = WallState.new(1, 1, "4")
    for slot, t in enumerate(times):
        state = assign_camera(state, (0, slot), f"c{slot}", t)
    return state


# (existing tiles as camera times, alarms already placed, new alarm, expected slot, queued ids)
RULE_ROWS = [
    ("empty tile first", [10, 20], [], q("a"), 2, []),
    ("oldest camera replaced", [30, 10, 20, 40], [], q("a"), 1, []),
    ("tie on age: wall order", [10, 10, 10, 10], [], q("a"), 0, []),
    (
        "alarm tiles are not replaced by equal severity",
        [10, 20, 30, 40],
        [q("x", 1), q("y", 1), q("z", 1), q("w", 1)],
        q("a", 1),
        None,
        ["a"],
    ),
    (
        "higher severity preempts the lowest, oldest alarm",
        [10, 20, 30, 40],
        [q("x", 2, 1), q("y", 1, 5), q("z", 1, 3), q("w", 2, 2)],
        q("a", 3),
        2,
        ["z"],
    ),
    (
        "non-alarm tiles go before preemption",
        [10, 20, 30, 40],
        [q("x", 1), q("y", 1)],
        q("a", 3),
        2,
        [],
    ),
]


@pytest.mark.parametrize(
    ("why", "times", "before", "alarm", "slot", "queued"),
    RULE_ROWS,
    ids=[r[0] for r in RULE_ROWS],
)
def test_switching_rule(
    why: str,
    times: list[int],
    before: list[QueuedAlarm],
    alarm: QueuedAlarm,
    slot: int | None,
    queued: list[str],
) -> None:
    state = _wall_with_cameras(times)
    for a in before:
        state, _ = place_alarm(state, a)
    state, where = place_alarm(state, alarm)
    assert where == (None if slot is None else (0, slot)), why
    assert [x.alarm_id for x in state.queue] == queued


def test_alarm_on_the_wall_is_updated_in_place_not_duplicated() -> None:
    state, first = place_alarm(_wall_with_cameras([1, 2]), q("a", 1))
    state, again = place_alarm(state, q("a", 2))
    assert first == again == (0, 2)
    tile = content_at(state, (0, 2))
    assert isinstance(tile, AlarmTile) and tile.severity == 2
    assert sum(1 for s in range(4) if isinstance(content_at(state, (0, s)), AlarmTile)) == 1


def test_revert_restores_the_displaced_camera_then_the_queue_gets_the_tile() -> None:
    state = _wall_with_cameras([10, 20, 30, 40])
    state, where = place_alarm(state, q("a"))
    assert where == (0, 0)
    state, _ = revert_alarm(state, "a")
    assert content_at(state, (0, 0)) == CameraTile("c0", 10)
    # fill with alarms, queue two more, ack one: the queued higher severity takes the tile
    for i, a in enumerate("wxyz"):
        state, _ = place_alarm(state, q(a, 1, i))
    state, _ = place_alarm(state, q("low", 1, 50))
    state, _ = place_alarm(state, q("high", 1, 60))
    assert [x.alarm_id for x in state.queue] == ["low", "high"]
    state, freed = revert_alarm(state, "y")
    tile = content_at(state, freed) if freed else None
    assert isinstance(tile, AlarmTile) and tile.alarm_id == "low"
    assert tile.displaced is not None  # still remembers the camera that was there first
    state, freed = revert_alarm(state, "high")  # only queued: leaves the queue, frees nothing
    assert freed is None and state.queue == ()


def test_preempted_alarm_keeps_revert_target_and_only_alarm_monitors_take_alarms() -> None:
    state = WallState.new(2, 2, "4", alarm_monitors=[3])
    for s in range(4):
        state = assign_camera(state, (3, s), f"c{s}", s)
    state, where = place_alarm(state, q("a"))
    assert where == (3, 0)
    assert find_alarm(state, "a") == (3, 0)
    assert all(t is None for m in state.monitors[:3] for t in m.tiles)


def test_assigning_a_camera_under_an_alarm_changes_its_revert_target() -> None:
    state, where = place_alarm(_wall_with_cameras([1, 2, 3, 4]), q("a"))
    assert where is not None
    state = assign_camera(state, where, "new", 99)
    state, _ = revert_alarm(state, "a")
    assert content_at(state, where) == CameraTile("new", 99)


def test_scene_change_keeps_alarms_on_the_wall() -> None:
    state, _ = place_alarm(WallState.new(1, 2, "4"), q("a", 2))
    state = apply_scene(
        state, "night", [SceneMonitor("1", ("c9",)), SceneMonitor("1", ("c1",))], 500
    )
    assert state.scene == "night"
    assert [m.layout for m in state.monitors] == ["1", "1"]
    assert find_alarm(state, "a") == (0, 0)  # replaced the oldest camera: c9 on monitor 0
    tile = content_at(state, (0, 0))
    assert isinstance(tile, AlarmTile) and tile.displaced == CameraTile("c9", 500)


def test_set_layout_keeps_tiles_in_order() -> None:
    state = _wall_with_cameras([1, 2, 3, 4])
    state = set_layout(state, 0, "1+5")
    assert [getattr(t, "camera_id", None) for t in state.monitors[0].tiles] == [
        "c0",
        "c1",
        "c2",
        "c3",
        None,
        None,
    ]
    assert [getattr(t, "camera_id", None) for t in set_layout(state, 0, "1").monitors[0].tiles] == [
        "c0"
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: WallState.new(0, 2), "got 0×2"),
        (lambda: WallState.new(2, 2, alarm_monitors=[4]), "alarm monitor 4"),
        (lambda: set_layout(WallState.new(1, 1), 0, "5"), "unknown layout '5'"),
        (lambda: assign_camera(WallState.new(1, 1), (1, 0), "c", 0), "monitor 1 is outside"),
        (lambda: assign_camera(WallState.new(1, 1), (0, 4), "c", 0), "slot 4 is outside"),
        (lambda: assign_camera(WallState.new(1, 1, "map+5"), (0, 0), "c", 0), "map panel"),
        (lambda: apply_scene(WallState.new(1, 2), "s", [SceneMonitor("1")], 0), "1 monitors"),
        (
            lambda: apply_scene(WallState.new(1, 1), "s", [SceneMonitor("1", ("a", "b"))], 0),
            "2 cameras for 1 video slots",
        ),
        (lambda: tour_position(0, 3, 0, 0), "positive, got 0"),
        (lambda: tour_position(5, 0, 0, 0), "at least one scene"),
    ],
)
def test_bad_requests_name_the_bad_value(call: object, message: str) -> None:
    with pytest.raises(WallRuleError, match=message):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("now", "expected"), [(0, 0), (9_999, 0), (10_000, 1), (25_000, 2), (30_000, 0), (-5, 0)]
)
def test_tour_position(now: int, expected: int) -> None:
    assert tour_position(10, 3, 0, now) == expected

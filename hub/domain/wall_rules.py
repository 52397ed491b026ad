"""The command wall's state and its alarm-to-tile switching rule. Pure: no I/O, no clock.

A wall is ``rows × cols`` monitors; each monitor shows one layout of slots; a video slot
holds a camera, an alarm, or nothing. An alarm takes a tile by rule:

1. an alarm already on the wall is updated in place;
2. otherwise the first empty video slot of an alarm monitor (wall order);
3. otherwise the oldest non-alarm tile (it comes back when the alarm reverts);
4. otherwise the oldest alarm of strictly lower severity is preempted back to the queue;
5. otherwise the alarm waits in the queue (highest severity, then oldest, first).

Acknowledging an alarm reverts its tile to what it displaced, then the queue gets a turn.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

SlotKind = Literal["video", "map", "kpi"]


@dataclass(frozen=True, slots=True)
class Slot:
    """A rectangle of a layout grid, in cells: column, row, width, height."""

    col: int
    row: int
    w: int = 1
    h: int = 1
    kind: SlotKind = "video"


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    cols: int
    rows: int
    slots: tuple[Slot, ...]

    @property
    def video_slots(self) -> int:
        return sum(1 for s in self.slots if s.kind == "video")


def _grid(name: str, n: int) -> Layout:
    return Layout(name, n, n, tuple(Slot(c, r) for r in range(n) for c in range(n)))


def _big_plus(name: str, n: int, big: SlotKind = "video") -> Layout:
    """One (n-1)×(n-1) slot in the top left and the rest of an n×n grid around it."""
    small = [Slot(n - 1, r) for r in range(n - 1)] + [Slot(c, n - 1) for c in range(n)]
    return Layout(name, n, n, (Slot(0, 0, n - 1, n - 1, big), *small))


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        _grid("1", 1),
        _grid("4", 2),
        _grid("9", 3),
        _grid("16", 4),
        _big_plus("1+5", 3),
        _big_plus("1+7", 4),
        _big_plus("map+5", 3, "map"),
        Layout(
            "map+kpi+6",
            4,
            3,
            (
                Slot(0, 0, 2, 2, "map"),
                Slot(0, 2, 2, 1, "kpi"),
                *(Slot(c, r) for r in range(3) for c in (2, 3)),
            ),
        ),
    )
}


class WallRuleError(ValueError):
    """A request the wall cannot take; the message names the bad value."""


def layout_named(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise WallRuleError(f"unknown layout {name!r}; known: {', '.join(LAYOUTS)}") from None


@dataclass(frozen=True, slots=True)
class CameraTile:
    camera_id: str
    since_ms: int


@dataclass(frozen=True, slots=True)
class AlarmTile:
    alarm_id: str
    camera_id: str
    severity: int
    since_ms: int
    displaced: CameraTile | None = None
    grid_code: str | None = None  # where the alarm is: a storm coalesces per grid


Content = CameraTile | AlarmTile | None


@dataclass(frozen=True, slots=True)
class Monitor:
    layout: str
    tiles: tuple[Content, ...]

    @staticmethod
    def empty(layout: str) -> Monitor:
        return Monitor(layout, tuple(None for _ in layout_named(layout).slots))


@dataclass(frozen=True, slots=True)
class QueuedAlarm:
    alarm_id: str
    camera_id: str
    severity: int
    since_ms: int
    grid_code: str | None = None


@dataclass(frozen=True, slots=True)
class WallState:
    """One wall: its monitors in row-major order, alarm monitors, and the alarm queue."""

    rows: int
    cols: int
    monitors: tuple[Monitor, ...]
    alarm_monitors: tuple[int, ...]
    queue: tuple[QueuedAlarm, ...] = ()
    scene: str | None = None
    version: int = 0
    takeovers: tuple[tuple[int, int], ...] = ()
    """(monitor, ms) of the recent automatic takeovers (``hub.domain.wall_storm``)."""

    @staticmethod
    def new(
        rows: int, cols: int, layout: str = "4", alarm_monitors: Sequence[int] = ()
    ) -> WallState:
        if not (1 <= rows <= 8 and 1 <= cols <= 8):
            raise WallRuleError(f"a wall is 1–8 × 1–8 monitors, got {rows}×{cols}")
        count = rows * cols
        alarm = tuple(alarm_monitors) or tuple(range(count))
        bad = [m for m in alarm if not 0 <= m < count]
        if bad:
            raise WallRuleError(f"alarm monitor {bad[0]} is outside 0..{count - 1}")
        return WallState(rows, cols, tuple(Monitor.empty(layout) for _ in range(count)), alarm)


Where = tuple[int, int]
"""(monitor index, slot index)."""


def _check_slot(state: WallState, monitor: int, slot: int) -> Slot:
    if not 0 <= monitor < len(state.monitors):
        raise WallRuleError(f"monitor {monitor} is outside 0..{len(state.monitors) - 1}")
    slots = layout_named(state.monitors[monitor].layout).slots
    if not 0 <= slot < len(slots):
        raise WallRuleError(f"slot {slot} is outside 0..{len(slots) - 1} of monitor {monitor}")
    return slots[slot]


def _put(state: WallState, where: Where, content: Content) -> WallState:
    m, s = where
    mon = state.monitors[m]
    tiles = (*mon.tiles[:s], content, *mon.tiles[s + 1 :])
    monitors = (*state.monitors[:m], replace(mon, tiles=tiles), *state.monitors[m + 1 :])
    return replace(state, monitors=monitors)


def video_tiles(state: WallState, monitors: Sequence[int] | None = None) -> Iterator[Where]:
    """Every video slot, in wall order (monitor, then slot)."""
    for m in range(len(state.monitors)) if monitors is None else monitors:
        for s, slot in enumerate(layout_named(state.monitors[m].layout).slots):
            if slot.kind == "video":
                yield m, s


def content_at(state: WallState, where: Where) -> Content:
    return state.monitors[where[0]].tiles[where[1]]


def find_alarm(state: WallState, alarm_id: str) -> Where | None:
    for where in video_tiles(state):
        c = content_at(state, where)
        if isinstance(c, AlarmTile) and c.alarm_id == alarm_id:
            return where
    return None


def set_layout(state: WallState, monitor: int, layout: str) -> WallState:
    """Switch one monitor's layout; slots keep their content in order, the rest is dropped."""
    _check_slot(state, monitor, 0)
    slots = layout_named(layout).slots
    old = state.monitors[monitor].tiles
    tiles = tuple(
        (old[i] if i < len(old) and slot.kind == "video" else None) for i, slot in enumerate(slots)
    )
    mons = list(state.monitors)
    mons[monitor] = Monitor(layout, tiles)
    return replace(state, monitors=tuple(mons))


def assign_camera(state: WallState, where: Where, camera_id: str | None, now_ms: int) -> WallState:
    """Put a camera (or nothing) in a video slot; an alarm there keeps it as its revert target."""
    slot = _check_slot(state, *where)
    if slot.kind != "video":
        raise WallRuleError(f"slot {where[1]} of monitor {where[0]} is a {slot.kind} panel")
    tile = CameraTile(camera_id, now_ms) if camera_id else None
    current = content_at(state, where)
    if isinstance(current, AlarmTile):
        return _put(state, where, replace(current, displaced=tile))
    return _put(state, where, tile)


def _queue_key(q: QueuedAlarm) -> tuple[int, int, str]:
    return (-q.severity, q.since_ms, q.alarm_id)


def place_alarm(state: WallState, alarm: QueuedAlarm) -> tuple[WallState, Where | None]:
    """Apply the switching rule; returns the new state and the tile taken (None: queued)."""
    here = find_alarm(state, alarm.alarm_id)
    if here is not None:
        old = content_at(state, here)
        assert isinstance(old, AlarmTile)
        return _put(state, here, replace(old, severity=max(old.severity, alarm.severity))), here
    if any(q.alarm_id == alarm.alarm_id for q in state.queue):
        return state, None
    candidates = list(video_tiles(state, state.alarm_monitors))
    for where in candidates:
        if content_at(state, where) is None:
            return _put(state, where, _tile(alarm, None)), where
    plain = [w for w in candidates if isinstance(content_at(state, w), CameraTile)]
    if plain:
        where = min(plain, key=lambda w: (_since(state, w), w))
        shown = content_at(state, where)
        assert isinstance(shown, CameraTile)
        return _put(state, where, _tile(alarm, shown)), where
    weaker = [w for w in candidates if _severity(state, w) < alarm.severity]
    if weaker:
        where = min(weaker, key=lambda w: (_severity(state, w), _since(state, w), w))
        old = content_at(state, where)
        assert isinstance(old, AlarmTile)
        back = QueuedAlarm(old.alarm_id, old.camera_id, old.severity, old.since_ms, old.grid_code)
        queue = tuple(sorted((*state.queue, back), key=_queue_key))
        state = replace(_put(state, where, _tile(alarm, old.displaced)), queue=queue)
        return state, where
    return replace(state, queue=tuple(sorted((*state.queue, alarm), key=_queue_key))), None


def _tile(alarm: QueuedAlarm, displaced: CameraTile | None) -> AlarmTile:
    return AlarmTile(
        alarm.alarm_id, alarm.camera_id, alarm.severity, alarm.since_ms, displaced, alarm.grid_code
    )


def _since(state: WallState, where: Where) -> int:
    c = content_at(state, where)
    return c.since_ms if c is not None else -1


def _severity(state: WallState, where: Where) -> int:
    c = content_at(state, where)
    return c.severity if isinstance(c, AlarmTile) else -1


def revert_alarm(state: WallState, alarm_id: str) -> tuple[WallState, Where | None]:
    """Take an alarm off the wall (acknowledged, rejected or ended) and let the queue in.

    Returns the freed tile, or None when the alarm was only queued (or unknown).
    """
    where = find_alarm(state, alarm_id)
    if where is None:
        return replace(state, queue=tuple(q for q in state.queue if q.alarm_id != alarm_id)), None
    old = content_at(state, where)
    assert isinstance(old, AlarmTile)
    if state.queue:
        nxt, *rest = state.queue
        state = replace(state, queue=tuple(rest))
        return _put(state, where, _tile(nxt, old.displaced)), where
    return _put(state, where, old.displaced), where


def tour_position(period_s: float, scenes: int, started_ms: int, now_ms: int) -> int:
    """Which scene of a tour is on screen: one step every ``period_s`` since ``started_ms``."""
    if scenes < 1:
        raise WallRuleError("a tour needs at least one scene")
    if period_s <= 0:
        raise WallRuleError(f"a tour period must be positive, got {period_s}")
    elapsed = max(0, now_ms - started_ms)
    return int(elapsed // int(period_s * 1000)) % scenes


@dataclass(frozen=True, slots=True)
class SceneMonitor:
    layout: str
    cameras: tuple[str | None, ...] = ()


def apply_scene(
    state: WallState, name: str, monitors: Sequence[SceneMonitor], now_ms: int
) -> WallState:
    """Show a saved scene (layout + cameras per monitor); alarms on the wall stay on it.

    The scene's cameras fill each monitor's video slots in order; every alarm that was on
    the wall is placed again by the rule, so a scene or tour change never hides an alarm.
    """
    if len(monitors) != len(state.monitors):
        raise WallRuleError(
            f"scene {name!r} has {len(monitors)} monitors, the wall has {len(state.monitors)}"
        )
    alarms = [
        content_at(state, w)
        for w in video_tiles(state)
        if isinstance(content_at(state, w), AlarmTile)
    ]
    fresh = replace(state, monitors=tuple(Monitor.empty(m.layout) for m in monitors), scene=name)
    for m, scene_mon in enumerate(monitors):
        slots = list(video_tiles(fresh, [m]))
        if len(scene_mon.cameras) > len(slots):
            raise WallRuleError(
                f"scene {name!r} monitor {m}: {len(scene_mon.cameras)} cameras for "
                f"{len(slots)} video slots of layout {scene_mon.layout!r}"
            )
        for where, cam in zip(slots, scene_mon.cameras, strict=False):
            if cam:
                fresh = _put(fresh, where, CameraTile(cam, now_ms))
    for a in alarms:
        assert isinstance(a, AlarmTile)
        back = QueuedAlarm(a.alarm_id, a.camera_id, a.severity, a.since_ms, a.grid_code)
        fresh, _ = place_alarm(fresh, back)
    return fresh

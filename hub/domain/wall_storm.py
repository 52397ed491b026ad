"""Alarm storms on the wall: how many alarms may take a tile, which first, the rest counted.

Pure: no I/O, no clock. It wraps the switching rule (``hub.domain.wall_rules``) so that a
storm (a tenth of a county's cameras alarming within a minute) cannot turn every tile
over many times a second:

1. an alarm already on the wall is updated in place, as before;
2. with ``coalesce_per_grid``, an alarm whose grid already has an alarm of the same or a
   higher severity on a tile waits in the queue: one tile per grid, the tile counts the rest;
3. an alarm that would take a tile (an empty one, a camera's, or a weaker alarm's) takes it
   only on a monitor that has had fewer than ``takeovers_per_min`` automatic takeovers in
   the last ``window_ms``, the last ``urgent_reserve`` of them kept for urgent alarms (so a
   storm of routine alarms cannot spend what an urgent one needs); otherwise it waits;
4. the queue is ordered by severity, then age; ``drain`` (called every second) lets queued
   alarms in as the monitors' budgets come back, highest severity first.

An operator's acknowledgement frees its tile at once and the queue's head takes it (that is
the operator's pace, not a takeover). Every alarm stays in the hub's verification queue and
the console; the wall only decides what it draws.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hub.domain import wall_rules as rules
from hub.domain.wall_rules import AlarmTile, QueuedAlarm, WallState, Where


@dataclass(frozen=True, slots=True)
class StormPolicy:
    takeovers_per_min: int = 6
    """Automatic alarm takeovers allowed per monitor in ``window_ms``."""
    window_ms: int = 60_000
    coalesce_per_grid: bool = True
    urgent_reserve: int = 2
    """Of each monitor's budget, takeovers only urgent alarms may make."""
    urgent_severity: int = 2

    def __post_init__(self) -> None:
        if self.takeovers_per_min < 1:
            raise rules.WallRuleError(
                f"takeovers_per_min must be at least 1, got {self.takeovers_per_min}"
            )
        if not 0 <= self.urgent_reserve < self.takeovers_per_min:
            raise rules.WallRuleError(
                f"urgent_reserve {self.urgent_reserve} must be 0 to takeovers_per_min - 1"
            )
        if self.window_ms < 1000:
            raise rules.WallRuleError(f"window_ms must be at least 1000, got {self.window_ms}")


def budget_left(state: WallState, monitor: int, now_ms: int, policy: StormPolicy) -> int:
    """Takeovers ``monitor`` may still make now."""
    used = sum(1 for m, at in state.takeovers if m == monitor and now_ms - at < policy.window_ms)
    return policy.takeovers_per_min - used


def grid_on_tile(state: WallState, alarm: QueuedAlarm) -> AlarmTile | None:
    """The tile of an alarm of ``alarm``'s grid at least as severe, if one is shown."""
    if alarm.grid_code is None:
        return None
    for where in rules.video_tiles(state):
        c = rules.content_at(state, where)
        if (
            isinstance(c, AlarmTile)
            and c.grid_code == alarm.grid_code
            and c.alarm_id != alarm.alarm_id
            and c.severity >= alarm.severity
        ):
            return c
    return None


def place(
    state: WallState, alarm: QueuedAlarm, now_ms: int, policy: StormPolicy
) -> tuple[WallState, Where | None]:
    """The switching rule under the storm policy; returns the new state and the tile taken
    (None: the alarm waits in the queue)."""
    if rules.find_alarm(state, alarm.alarm_id) is not None or _queued(state, alarm.alarm_id):
        return rules.place_alarm(state, alarm)
    if policy.coalesce_per_grid and grid_on_tile(state, alarm) is not None:
        return _enqueue(state, alarm), None
    trial, where = _place_within_budget(state, alarm, now_ms, policy)
    if where is None:
        return _enqueue(state, alarm), None
    return _record(trial, where[0], now_ms, policy), where


def drain(state: WallState, now_ms: int, policy: StormPolicy) -> WallState:
    """Let queued alarms take tiles as the monitors' budgets allow, in queue order (severity,
    then age), skipping those whose grid is already shown. Unchanged when none can."""
    for _ in range(len(state.queue)):
        placed = False
        for q in state.queue:
            if policy.coalesce_per_grid and grid_on_tile(state, q) is not None:
                continue
            rest = replace(state, queue=tuple(x for x in state.queue if x != q))
            trial, where = _place_within_budget(rest, q, now_ms, policy)
            if where is None:
                return state  # no tile for the first that may go: none for those after it
            state = _record(trial, where[0], now_ms, policy)
            placed = True
            break
        if not placed:
            break
    return state


@dataclass(frozen=True, slots=True)
class GridCount:
    grid_code: str | None
    count: int
    severity: int


def queue_by_grid(state: WallState, top: int = 10) -> list[GridCount]:
    """The queue counted per grid, most severe then largest first (the wall's queue panel)."""
    counts: dict[str | None, GridCount] = {}
    for q in state.queue:
        old = counts.get(q.grid_code, GridCount(q.grid_code, 0, 0))
        counts[q.grid_code] = GridCount(q.grid_code, old.count + 1, max(old.severity, q.severity))
    ranked = sorted(counts.values(), key=lambda g: (-g.severity, -g.count, g.grid_code or ""))
    return ranked[:top]


def _place_within_budget(
    state: WallState, alarm: QueuedAlarm, now_ms: int, policy: StormPolicy
) -> tuple[WallState, Where | None]:
    """The switching rule over the alarm monitors that may still take over a tile."""
    keep = 0 if alarm.severity >= policy.urgent_severity else policy.urgent_reserve
    open_ = tuple(m for m in state.alarm_monitors if budget_left(state, m, now_ms, policy) > keep)
    if not open_:
        return state, None
    trial, where = rules.place_alarm(replace(state, alarm_monitors=open_), alarm)
    if where is None:
        return state, None
    return replace(trial, alarm_monitors=state.alarm_monitors), where


def _queued(state: WallState, alarm_id: str) -> bool:
    return any(q.alarm_id == alarm_id for q in state.queue)


def _enqueue(state: WallState, alarm: QueuedAlarm) -> WallState:
    queue = sorted((*state.queue, alarm), key=lambda q: (-q.severity, q.since_ms, q.alarm_id))
    return replace(state, queue=tuple(queue))


def _record(state: WallState, monitor: int, now_ms: int, policy: StormPolicy) -> WallState:
    recent = tuple(t for t in state.takeovers if now_ms - t[1] < policy.window_ms)
    return replace(state, takeovers=(*recent, (monitor, now_ms)))

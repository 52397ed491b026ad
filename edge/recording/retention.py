"""Which segments to delete: by age and by disk budget, oldest first, never an alarm's clip.

Pure: plain dataclasses in, a plan out; no file, clock or database (the recorder does those).

- An alarm's **clip window** is ``[started - pre, ended + post]`` on its camera (an alarm still
  active has no end yet: it holds everything from ``started - pre`` on).
- The alarm **protects** its window until its case is closed plus ``keep_after_close``, and
  never longer than ``max_protect`` after it began (a case nobody closes).
- A segment overlapping a protected window is never deleted, neither for age nor for the
  budget. A segment still being written is never deleted.
- Age: a segment that ended more than ``max_age`` ago goes.
- Budget: while the kept segments' bytes exceed the budget, the oldest unprotected one goes
  (down to the low-water mark when one is set). When only protected ones are left over the
  budget, the plan says by how much.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

FOREVER_MS = 2**62


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    segment_id: int
    camera_id: str
    start_ms: int
    end_ms: int
    size_bytes: int
    open: bool = False  # still being written


@dataclass(frozen=True, slots=True)
class AlarmMark:
    camera_id: str
    started_ms: int
    ended_ms: int | None = None  # None: still active
    closed_ms: int | None = None  # when its case was closed, if the box was told


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    max_age_ms: int
    budget_bytes: int
    pre_ms: int
    post_ms: int
    keep_after_close_ms: int
    max_protect_ms: int
    low_water_bytes: int | None = None
    """Once over the budget, delete down to this (a little under the budget), so that the
    next passes find nothing to do for a while; None: down to the budget itself."""


@dataclass(frozen=True, slots=True)
class Deletion:
    segment_id: int
    reason: Literal["age", "budget"]


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    deletions: tuple[Deletion, ...]
    protected: tuple[int, ...]  # segment ids an alarm's clip holds now
    over_budget_bytes: int  # left over the budget after the plan (protected segments only)


def clip_window(alarm: AlarmMark, policy: RetentionPolicy) -> tuple[int, int]:
    """``[started - pre, ended + post]``; an active alarm's window has no end."""
    end = FOREVER_MS if alarm.ended_ms is None else alarm.ended_ms + policy.post_ms
    return alarm.started_ms - policy.pre_ms, end


def protected_until(alarm: AlarmMark, policy: RetentionPolicy) -> int:
    cap = alarm.started_ms + policy.max_protect_ms
    if alarm.closed_ms is None:
        return cap
    return min(cap, alarm.closed_ms + policy.keep_after_close_ms)


def is_protected(
    segment: SegmentInfo, alarms: Sequence[AlarmMark], policy: RetentionPolicy, now_ms: int
) -> bool:
    return _Protection(alarms, policy, now_ms).covers(segment)


class _Protection:
    """The protected windows of each camera, merged and sorted: a segment is looked up in
    O(log n), so a month of one-minute segments of many cameras plans in about a second."""

    def __init__(self, alarms: Sequence[AlarmMark], policy: RetentionPolicy, now_ms: int) -> None:
        spans: dict[str, list[tuple[int, int]]] = {}
        for alarm in alarms:
            if now_ms < protected_until(alarm, policy):
                spans.setdefault(alarm.camera_id, []).append(clip_window(alarm, policy))
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        for camera_id, windows in spans.items():
            merged: list[list[int]] = []
            for t0, t1 in sorted(windows):
                if merged and t0 <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], t1)
                else:
                    merged.append([t0, t1])
            self._starts[camera_id] = [m[0] for m in merged]
            self._ends[camera_id] = [m[1] for m in merged]

    def covers(self, segment: SegmentInfo) -> bool:
        starts = self._starts.get(segment.camera_id)
        if not starts:
            return False
        # the last window starting at or before the segment's end is the only candidate:
        # merged windows do not overlap, so ends grow with starts
        i = bisect.bisect_right(starts, segment.end_ms) - 1
        return i >= 0 and self._ends[segment.camera_id][i] >= segment.start_ms


def plan_retention(
    segments: Sequence[SegmentInfo],
    alarms: Sequence[AlarmMark],
    policy: RetentionPolicy,
    now_ms: int,
) -> RetentionPlan:
    protection = _Protection(alarms, policy, now_ms)
    held = {s.segment_id for s in segments if s.open or protection.covers(s)}
    protected = tuple(sorted(s.segment_id for s in segments if not s.open and s.segment_id in held))
    deletions: list[Deletion] = []
    kept: list[SegmentInfo] = []
    for s in sorted(segments, key=lambda s: (s.start_ms, s.segment_id)):
        if s.segment_id not in held and s.end_ms < now_ms - policy.max_age_ms:
            deletions.append(Deletion(s.segment_id, "age"))
        else:
            kept.append(s)
    total = sum(s.size_bytes for s in kept)
    target = policy.budget_bytes if total > policy.budget_bytes else total
    if policy.low_water_bytes is not None and total > policy.budget_bytes:
        target = min(policy.budget_bytes, policy.low_water_bytes)
    for s in kept:  # oldest first
        if total <= target:
            break
        if s.segment_id in held:
            continue
        deletions.append(Deletion(s.segment_id, "budget"))
        total -= s.size_bytes
    return RetentionPlan(tuple(deletions), protected, max(0, total - policy.budget_bytes))

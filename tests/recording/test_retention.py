"""Retention as a table: which segments go by age and by disk budget, and that an alarm's
clip window (pre/post, until its case is closed plus the keep period, or the max protect
age) holds its segments whatever the pressure. Pure: no files, no clock."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from edge.recording.retention import (
    AlarmMark,
    Deletion,
    RetentionPolicy,
    SegmentInfo,
    clip_window,
    is_protected,
    plan_retention,
    protected_until,
)

MIN = 60_000
H = 60 * MIN
NOW = 100 * H
POLICY = RetentionPolicy(
    max_age_ms=24 * H,
    budget_bytes=10_000,
    pre_ms=30_000,
    post_ms=30_000,
    keep_after_close_ms=2 * H,
    max_protect_ms=48 * H,
)


def seg(
    i: int, start_ms: int, size: int = 1_000, camera: str = "c1", *, open_: bool = False
) -> SegmentInfo:
    return SegmentInfo(i, camera, start_ms, start_ms + MIN, size, open_)


def hour_of_segments(first: int = 1, start: int = NOW - H, camera: str = "c1") -> list[SegmentInfo]:
    """60 one-minute segments of 1,000 bytes ending at NOW (the last one being written)."""
    return [seg(first + k, start + k * MIN, camera=camera, open_=(k == 59)) for k in range(60)]


ROWS = [
    # (name, segments, alarms, budget, expected deletions)
    ("under budget, young: nothing", hour_of_segments()[:10], [], 10_000, []),
    (
        "over budget: the oldest go, until under",
        hour_of_segments()[:12],
        [],
        10_000,
        [Deletion(1, "budget"), Deletion(2, "budget")],
    ),
    (
        "an alarm's clip in the oldest minutes: the next oldest go instead",
        hour_of_segments()[:12],
        [AlarmMark("c1", NOW - H + 10_000, NOW - H + 20_000)],  # window covers 1 (and 0)
        10_000,
        [Deletion(2, "budget"), Deletion(3, "budget")],
    ),
    (
        "the post window reaches into the next segment",
        hour_of_segments()[:12],
        [AlarmMark("c1", NOW - H + 10_000, NOW - H + 50_000)],  # +30 s post: into segment 2
        10_000,
        [Deletion(3, "budget"), Deletion(4, "budget")],
    ),
    (
        "the pre window reaches back into the previous segment",
        hour_of_segments()[:12],
        [AlarmMark("c1", NOW - H + MIN + 10_000, NOW - H + MIN + 15_000)],  # -30 s: into 1
        10_000,
        [Deletion(3, "budget"), Deletion(4, "budget")],
    ),
    (
        "another camera's alarm protects nothing here",
        hour_of_segments()[:12],
        [AlarmMark("c2", NOW - H + 10_000, NOW - H + 20_000)],
        10_000,
        [Deletion(1, "budget"), Deletion(2, "budget")],
    ),
    (
        "an active alarm holds everything from its start on",
        hour_of_segments()[:12],
        [AlarmMark("c1", NOW - H + 30 * MIN)],
        5_000,
        [Deletion(k, "budget") for k in range(1, 8)],
    ),
    (
        "only protected and open segments left: nothing more goes (over budget is reported)",
        hour_of_segments()[:3],
        [AlarmMark("c1", NOW - H, NOW - H + 2 * MIN)],
        1_000,
        [],
    ),
    (
        "the segment being written is never deleted",
        [seg(1, NOW - 2 * MIN, 50_000, open_=True)],
        [],
        10_000,
        [],
    ),
    (
        "by age: ended longer ago than max_age",
        [seg(1, NOW - 30 * H), seg(2, NOW - 24 * H - 2 * MIN), seg(3, NOW - 23 * H)],
        [],
        10_000,
        [Deletion(1, "age"), Deletion(2, "age")],
    ),
    (
        "by age, but an alarm's clip keeps it (case still open, within max protect)",
        [seg(1, NOW - 30 * H), seg(2, NOW - 29 * H)],
        [AlarmMark("c1", NOW - 30 * H + 5_000, NOW - 30 * H + 9_000)],
        10_000,
        [Deletion(2, "age")],
    ),
    (
        "case closed 1 h ago, keep 2 h: still protected",
        [seg(1, NOW - 30 * H)],
        [AlarmMark("c1", NOW - 30 * H + 5_000, NOW - 30 * H + 9_000, closed_ms=NOW - H)],
        10_000,
        [],
    ),
    (
        "case closed 3 h ago, keep 2 h: protection over, age deletes it",
        [seg(1, NOW - 30 * H)],
        [AlarmMark("c1", NOW - 30 * H + 5_000, NOW - 30 * H + 9_000, closed_ms=NOW - 3 * H)],
        10_000,
        [Deletion(1, "age")],
    ),
    (
        "a case never closed protects for max_protect only",
        [seg(1, NOW - 50 * H)],
        [AlarmMark("c1", NOW - 50 * H + 5_000, NOW - 50 * H + 9_000)],
        10_000,
        [Deletion(1, "age")],
    ),
    (
        "age first, then the budget over what is left, across cameras oldest first",
        [
            seg(1, NOW - 30 * H, 4_000, "c1"),
            seg(2, NOW - 3 * H, 4_000, "c2"),
            seg(3, NOW - 2 * H, 4_000, "c1"),
            seg(4, NOW - 1 * H, 4_000, "c2"),
        ],
        [],
        8_000,
        [Deletion(1, "age"), Deletion(2, "budget")],
    ),
]


@pytest.mark.parametrize(
    ("name", "segments", "alarms", "budget", "expected"), ROWS, ids=[r[0] for r in ROWS]
)
def test_retention_table(
    name: str,
    segments: list[SegmentInfo],
    alarms: list[AlarmMark],
    budget: int,
    expected: list[Deletion],
) -> None:
    plan = plan_retention(segments, alarms, replace(POLICY, budget_bytes=budget), NOW)
    assert list(plan.deletions) == expected, name
    gone = {d.segment_id for d in plan.deletions}
    assert not gone & set(plan.protected), "a protected segment was deleted"
    assert not gone & {s.segment_id for s in segments if s.open}


def test_the_protected_ones_over_budget_are_reported() -> None:
    segments = hour_of_segments()[:3]
    alarm = AlarmMark("c1", NOW - H, NOW - H + 2 * MIN)  # its window reaches segment 3
    plan = plan_retention(segments, [alarm], replace(POLICY, budget_bytes=1_000), NOW)
    assert plan.deletions == ()
    assert plan.protected == (1, 2, 3)
    assert plan.over_budget_bytes == 2_000


@pytest.mark.parametrize(
    ("alarm", "window", "until"),
    [
        (AlarmMark("c", 1_000_000, 1_060_000), (970_000, 1_090_000), 1_000_000 + 48 * H),
        (AlarmMark("c", 1_000_000), (970_000, 2**62), 1_000_000 + 48 * H),
        (AlarmMark("c", 1_000_000, 1_060_000, 5_000_000), (970_000, 1_090_000), 5_000_000 + 2 * H),
        (AlarmMark("c", 0, 60_000, 47 * H), (-30_000, 90_000), 48 * H),  # capped
    ],
)
def test_clip_window_and_protection_end(
    alarm: AlarmMark, window: tuple[int, int], until: int
) -> None:
    assert clip_window(alarm, POLICY) == window
    assert protected_until(alarm, POLICY) == until


def test_the_protection_lookup_agrees_with_checking_every_alarm() -> None:
    """Merged, sorted windows (the fast lookup) against the plain definition, on random
    segments and alarms of three cameras, some closed, some active, some expired."""
    rng = random.Random(7)
    cams = ("c1", "c2", "c3")
    segments = [
        seg(i, NOW - rng.randrange(60 * H), rng.randrange(500, 2_000), rng.choice(cams))
        for i in range(1, 400)
    ]
    alarms = []
    for _ in range(60):
        start = NOW - rng.randrange(60 * H)
        end = None if rng.random() < 0.1 else start + rng.randrange(5 * MIN)
        closed = None if end is None or rng.random() < 0.5 else end + rng.randrange(10 * H)
        alarms.append(AlarmMark(rng.choice(cams), start, end, closed))

    def plain(s: SegmentInfo) -> bool:
        return any(
            a.camera_id == s.camera_id
            and protected_until(a, POLICY) > NOW
            and s.start_ms <= clip_window(a, POLICY)[1]
            and s.end_ms >= clip_window(a, POLICY)[0]
            for a in alarms
        )

    got = {s.segment_id for s in segments if is_protected(s, alarms, POLICY, NOW)}
    assert got == {s.segment_id for s in segments if plain(s)}
    assert 20 < len(got) < 380  # the draw protects some and not others
    plan = plan_retention(segments, alarms, replace(POLICY, budget_bytes=100_000), NOW)
    assert not {d.segment_id for d in plan.deletions} & got


def test_over_the_budget_it_deletes_down_to_the_low_water_mark() -> None:
    segments = hour_of_segments()[:12]  # 12,000 bytes against 10,000
    policy = replace(POLICY, low_water_bytes=7_500)
    plan = plan_retention(segments, [], policy, NOW)
    assert [d.segment_id for d in plan.deletions] == [1, 2, 3, 4, 5]  # down to 7,000
    under = plan_retention(segments[:9], [], policy, NOW)  # 9,000: under the budget
    assert under.deletions == ()

"""Alert lifecycle: hold, update throttling and significant change, clearing, stable ids."""

from __future__ import annotations

from edge.lifecycle import AlertLifecycle
from edge.rules import Observation


def _run(lc: AlertLifecycle, timeline: list[tuple[int, Observation]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for t, obs in timeline:
        step = lc.step(t, obs)
        if step is not None:
            out.append((t, step.type))
    return out


ON = Observation(True, 0.8, (), {"count": 3})
OFF = Observation(False)


def test_hold_update_and_clear() -> None:
    lc = AlertLifecycle(
        "edge-01.cam-01.ground.06901", hold_s=2.0, clear_s=3.0, update_interval_s=5.0
    )
    timeline = [(t, ON) for t in range(0, 13_000, 500)] + [
        (t, OFF) for t in range(13_000, 17_000, 500)
    ]
    steps = _run(lc, timeline)
    assert steps == [(2000, "new"), (7000, "update"), (12000, "update"), (16000, "end")]


def test_short_condition_never_alerts() -> None:
    lc = AlertLifecycle("k.c.z.06010", hold_s=2.0, clear_s=1.0, update_interval_s=5.0)
    timeline = [(0, ON), (1000, ON), (1500, OFF), (2500, ON), (3500, ON), (4000, OFF)]
    assert _run(lc, timeline) == []


def test_a_missed_frame_does_not_restart_the_hold() -> None:
    lc = AlertLifecycle("k.c.z.06901", hold_s=2.0, clear_s=5.0, update_interval_s=60.0)
    timeline = [(0, ON), (500, ON), (1000, OFF), (1500, ON), (2000, ON)]
    assert _run(lc, timeline) == [(2000, "new")]


def test_significant_change_updates_at_once_and_ids_are_stable() -> None:
    lc = AlertLifecycle("k.c.z.06901", hold_s=0.0, clear_s=1.0, update_interval_s=60.0)
    first = lc.step(1000, ON)
    more = lc.step(1500, Observation(True, 0.8, (), {"count": 5}))
    same = lc.step(2000, Observation(True, 0.8, (), {"count": 5}))
    assert first is not None and more is not None and same is None
    assert first.event_id == more.event_id == "k.c.z.06901.1000"
    assert more.type == "update"


def test_flicker_inside_clear_time_keeps_one_alert() -> None:
    lc = AlertLifecycle("k.c.z.08004", hold_s=0.0, clear_s=3.0, update_interval_s=60.0)
    timeline = [(0, ON), (1000, OFF), (2000, OFF), (3000, ON), (4000, OFF), (8000, OFF)]
    assert _run(lc, timeline) == [(0, "new"), (8000, "end")]

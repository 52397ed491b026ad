"""Tracker stillness and the three rules: pure, table-tested."""

from __future__ import annotations

import pytest

from contracts.cameras import ZoneRules
from edge.detections import Detections
from edge.rules import cylinders, dust, on_top, waste
from edge.tracker import Track, Tracker


def _dets(boxes: list[tuple[float, float, float, float]], cls: int = 1) -> Detections:
    return Detections.from_lists(boxes, [0.8] * len(boxes), [cls] * len(boxes), (640, 360))


def test_tracker_keeps_ids_and_measures_stillness() -> None:
    tr = Tracker(max_age_s=3.0)
    ids = []
    for k in range(5):  # walking right 12 px per step: moving
        d = tr.update(_dets([(100 + 12 * k, 200, 140 + 12 * k, 240)]), 1000 * k)
        ids.append(int(d.tracker_id[0]))
    assert len(set(ids)) == 1
    track = tr.tracks[ids[0]]
    assert track.still_s() < 1.5
    for k in range(5, 15):  # put down: still, with a pixel of jitter
        tr.update(_dets([(160 + k % 2, 200, 200 + k % 2, 240)]), 1000 * k)
    assert track.still_s() >= 8.0
    tr.update(_dets([]), 14_000 + 3_500)
    assert not tr.tracks, "a track unseen for longer than max_age_s is dropped"


def test_classes_never_share_a_track() -> None:
    tr = Tracker()
    a = tr.update(_dets([(10, 10, 50, 50)], cls=0), 0)
    b = tr.update(_dets([(10, 10, 50, 50)], cls=1), 100)
    assert a.tracker_id[0] != b.tracker_id[0]


def _track(
    box: tuple[float, float, float, float], still_s: float = 0.0, conf: float = 0.8
) -> Track:
    return Track(1, 0, box, conf, 0, int(still_s * 1000), 3, box, 0, conf)


@pytest.mark.parametrize(
    ("upper", "lower", "expect"),
    [
        ((100, 100, 140, 150), (100, 148, 140, 200), True),  # resting on top
        ((100, 100, 140, 150), (150, 148, 190, 200), False),  # beside, not on top
        ((100, 40, 140, 90), (100, 148, 140, 200), False),  # floating far above
        ((100, 148, 140, 200), (100, 100, 140, 150), False),  # under, not over
        ((110, 110, 150, 152), (100, 148, 140, 200), True),  # offset but overlapping columns
    ],
)
def test_on_top(upper: tuple, lower: tuple, expect: bool) -> None:  # type: ignore[type-arg]
    assert on_top(upper, lower) is expect


RULES = ZoneRules(
    cylinder_min_count=3, waste_still_s=8.0, dust_haze_margin=0.2, pm10_high_ug_m3=150
)


@pytest.mark.parametrize(
    ("boxes", "holds", "stacked"),
    [
        ([], False, False),
        ([(10, 100, 40, 160), (60, 100, 90, 160)], False, False),  # two side by side
        ([(10, 100, 40, 160), (60, 100, 90, 160), (110, 100, 140, 160)], True, False),  # three
        ([(10, 50, 40, 102), (10, 100, 40, 160)], True, True),  # two, one on the other
    ],
)
def test_cylinder_rule(boxes: list, holds: bool, stacked: bool) -> None:  # type: ignore[type-arg]
    obs = cylinders([_track(b) for b in boxes], RULES)
    assert obs.holds is holds
    if holds:
        assert obs.attributes["stacked"] is stacked
        assert obs.attributes["count"] == len(boxes)


@pytest.mark.parametrize(
    ("still_s", "holds"), [(0.0, False), (7.9, False), (8.0, True), (30.0, True)]
)
def test_waste_rule_needs_stillness(still_s: float, holds: bool) -> None:
    assert waste([_track((10, 10, 40, 40), still_s)], RULES).holds is holds


@pytest.mark.parametrize(
    ("tracks", "excess", "pm10", "holds", "conf_at_least"),
    [
        (0, None, None, False, 0.0),  # nothing, baseline still learning
        (0, 0.1, None, False, 0.0),  # haze under the margin
        (0, 0.35, None, True, 0.5),  # haze over the margin
        (1, None, None, True, 0.8),  # a dust detection
        (1, None, 300.0, True, 0.95),  # a detection and a high PM10 reading: more sure
        (0, 0.1, 300.0, False, 0.0),  # PM10 alone raises confidence, never an alert
    ],
)
def test_dust_rule(
    tracks: int, excess: float | None, pm10: float | None, holds: bool, conf_at_least: float
) -> None:
    obs = dust([_track((10, 10, 200, 200))] * tracks, excess, pm10, RULES)
    assert obs.holds is holds
    assert obs.confidence >= conf_at_least
    if pm10 is not None and holds:
        assert obs.attributes["pm10_high"] is True

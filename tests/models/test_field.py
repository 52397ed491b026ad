"""Thresholds, field figures and the confidence -> precision curve, table-tested."""

from __future__ import annotations

import numpy as np
import pytest

from models.field import (
    MIN_THRESHOLD,
    Figure,
    Scored,
    calibration_half,
    calibration_negatives,
    choose_threshold,
    group_at_least,
    kind_is,
    precision_curve,
    read_figures,
)

NAMES = ("gas_cylinder", "waste", "dust", "overflow")


def scored(
    name: str,
    set_name: str = "street",
    kind: str = "clean",
    truth: tuple[int, int, int, int] = (0, 0, 0, 0),
    dets: tuple[tuple[int, float, bool], ...] = (),
) -> Scored:
    return Scored(
        name,
        set_name,
        kind,
        np.array(truth, np.int64),
        np.array([d[1] for d in dets], np.float32),
        np.array([d[0] for d in dets], np.int64),
        np.array([d[2] for d in dets], bool),
    )


@pytest.mark.parametrize(
    ("tops", "budget", "want"),
    [
        ([], 0.05, MIN_THRESHOLD),  # nothing to fire on: the floor
        ([0.0] * 20, 0.05, MIN_THRESHOLD),
        ([0.9] + [0.0] * 19, 0.05, MIN_THRESHOLD),  # 1 of 20 = 5%: within budget
        ([0.9, 0.5] + [0.0] * 18, 0.05, 0.51),  # 2 of 20 at 0.5: must rise above 0.5
        ([0.9, 0.9] + [0.0] * 18, 0.05, 0.91),
        ([0.4] * 10, 0.1, 0.41),
        ([0.99] * 10, 0.0, 0.95),  # cannot meet the budget: the highest on the grid
    ],
)
def test_threshold_is_the_lowest_within_the_budget(
    tops: list[float], budget: float, want: float
) -> None:
    assert choose_threshold(tops, budget) == pytest.approx(want)


def test_calibration_half_is_fixed_and_about_half() -> None:
    names = [f"photo_{i:04d}.jpg" for i in range(2000)]
    first = [calibration_half(n) for n in names]
    assert first == [calibration_half(n) for n in names]
    assert 0.45 < np.mean(first) < 0.55


def test_negatives_are_street_views_without_the_class_and_no_overflow_for_waste() -> None:
    cal = [n for n in (f"p{i}.jpg" for i in range(200)) if calibration_half(n)][:6]
    images = [
        scored(cal[0], kind="bins", dets=((1, 0.7, False),)),
        scored(cal[1], kind="garbage", truth=(0, 1, 0, 0), dets=((1, 0.9, True),)),
        scored(cal[2], kind="overflow", truth=(0, 0, 0, 1), dets=((1, 0.8, False),)),
        scored(cal[3], set_name="synthetic", kind="synthetic", dets=((1, 0.95, False),)),
        scored(cal[4], set_name="real", kind="real", dets=((1, 0.9, False),)),
        scored(cal[5], set_name="cylinders", kind="cylinders", truth=(3, 0, 0, 0)),
    ]
    # street-view photos only: the bin photo and the composite, not the close-up or the render
    assert sorted(calibration_negatives(images, NAMES, "waste")) == pytest.approx([0.0, 0.7])
    # overflow: the overflow photo shows it; the garbage photo is a negative
    assert len(calibration_negatives(images, NAMES, "overflow")) == 3


def test_figures_count_images_at_the_threshold_and_the_count_rule() -> None:
    images = [
        scored("a", "cylinders", "cylinders", (3, 0, 0, 0), ((0, 0.6, True),) * 3),
        scored("b", "cylinders", "cylinders", (4, 0, 0, 0), ((0, 0.6, True), (0, 0.2, True))),
        scored("c", "cylinders", "cylinders", (1, 0, 0, 0), ((0, 0.2, True),)),
    ]
    figures = [
        Figure("any", "gas_cylinder", group_at_least(0, 3), "recall"),
        Figure("rule", "gas_cylinder", group_at_least(0, 3), "recall", min_count=3),
        Figure("bins", "waste", kind_is("bins"), "false_alarm"),
    ]
    out = read_figures(images, NAMES, dict.fromkeys(NAMES, 0.5), figures)
    assert out["any"]["value"] == 1.0 and out["any"]["images"] == 2
    assert out["rule"]["value"] == 0.5
    assert out["bins"]["value"] is None and out["bins"]["images"] == 0


def test_precision_curve_reads_box_precision_and_recall_per_confidence() -> None:
    images = [
        scored("a", truth=(0, 2, 0, 0), dets=((1, 0.9, True), (1, 0.3, False), (1, 0.12, True))),
        scored("b", truth=(0, 0, 0, 0), dets=((1, 0.6, False),)),
    ]
    curve = {row["conf"]: row for row in precision_curve(images, 1)}
    assert curve[0.1]["precision"] == pytest.approx(0.5)  # 2 of 4
    assert curve[0.1]["recall"] == pytest.approx(1.0)
    assert curve[0.5]["precision"] == pytest.approx(0.5)  # 0.9 hit, 0.6 miss
    assert curve[0.7]["precision"] == pytest.approx(1.0)
    assert curve[0.95]["precision"] is None

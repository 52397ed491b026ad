"""Metric and decoding table tests (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from models.metrics import Accumulator, box_iou, match
from models.onnx_detect import decode, letterbox, nms

NAMES = ("gas_cylinder", "waste", "dust")


def test_perfect_predictions_score_one() -> None:
    acc = Accumulator(3, alert_conf=0.3)
    gt = np.array([[10, 10, 50, 50], [60, 60, 90, 100]], np.float32)
    acc.add(gt, np.array([0.9, 0.8]), np.array([0, 1]), gt, np.array([0, 1]))
    acc.add(
        np.zeros((0, 4)),
        np.zeros(0),
        np.zeros(0, np.int64),
        np.zeros((0, 4)),
        np.zeros(0, np.int64),
    )
    s = acc.summary(NAMES)
    assert s["gas_cylinder"]["map50"] == pytest.approx(1.0, abs=0.01)  # 0.995, as Ultralytics
    assert s["gas_cylinder"]["map50_95"] == pytest.approx(1.0, abs=0.01)
    assert s["waste"]["image_recall"] == 1.0
    assert s["waste"]["false_alarm_rate"] == 0.0
    assert s["dust"]["map50"] is None


@pytest.mark.parametrize(
    ("pred", "pred_cls", "expected_tp50"),
    [
        ([[10, 10, 50, 50]], [0], [True]),
        ([[10, 10, 50, 50]], [1], [False]),  # wrong class
        ([[30, 30, 70, 70]], [0], [False]),  # IoU 0.14
        ([[10, 10, 50, 50], [11, 11, 50, 50]], [0, 0], [True, False]),  # duplicate
    ],
)
def test_match(pred: list[list[float]], pred_cls: list[int], expected_tp50: list[bool]) -> None:
    tp = match(
        np.array(pred, np.float32),
        np.array(pred_cls),
        np.array([[10, 10, 50, 50]], np.float32),
        np.array([0]),
    )
    assert tp[:, 0].tolist() == expected_tp50


def test_false_alarm_counted() -> None:
    acc = Accumulator(3, alert_conf=0.3)
    acc.add(
        np.array([[0, 0, 5, 5]], np.float32),
        np.array([0.5]),
        np.array([2]),
        np.zeros((0, 4)),
        np.zeros(0, np.int64),
    )
    assert acc.summary(NAMES)["dust"]["false_alarm_rate"] == 1.0


def test_nms_and_decode() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float32)
    assert nms(boxes, np.array([0.9, 0.8, 0.7], np.float32), 0.5).tolist() == [0, 2]
    raw = np.zeros((7, 3), np.float32)
    raw[:4, 0] = [50, 50, 20, 20]
    raw[4 + 1, 0] = 0.9
    raw[:4, 1] = [51, 50, 20, 20]
    raw[4 + 2, 1] = 0.8  # same place, other class: kept
    xyxy, _scores, cls = decode(raw, conf=0.25, iou=0.5)
    assert cls.tolist() == [1, 2]
    assert xyxy[0].tolist() == [40, 40, 60, 60]
    assert box_iou(xyxy[:1], xyxy[1:])[0, 0] > 0.5


def test_letterbox_centres_a_wide_frame() -> None:
    tensor, lb = letterbox(np.zeros((360, 640, 3), np.uint8), 320)
    assert tensor.shape == (1, 3, 320, 320)
    assert lb.scale == 0.5
    assert lb.pad_xy == (0.0, 70.0)
    assert tensor[0, 0, 0, 0] == pytest.approx(114 / 255)
    assert tensor[0, 0, 160, 160] == 0.0


def test_recall_by_size_bins_truth_boxes_at_the_alert_threshold() -> None:
    acc = Accumulator(3, alert_conf=0.3)
    gt = np.array([[0, 0, 10, 10], [0, 0, 40, 40], [100, 100, 300, 300]], np.float32)
    pred = np.array([[0, 0, 10, 10], [0, 0, 40, 40], [100, 100, 300, 300]], np.float32)
    # small box found; mid box only below the threshold; large box found but as another class
    acc.add(pred, np.array([0.9, 0.2, 0.8]), np.array([1, 1, 2]), gt, np.array([1, 1, 1]))
    # the same image shown at half scale moves every box down one bin (40 px -> 20 px)
    acc.add(pred, np.array([0.9, 0.9, 0.9]), np.array([1, 1, 1]), gt, np.array([1, 1, 1]), 0.5)
    by = acc.recall_by_size(1)
    assert by == {
        "0-16": {"boxes": 2, "found": 2},
        "16-32": {"boxes": 1, "found": 1},
        "32-64": {"boxes": 1, "found": 0},
        "64-128": {"boxes": 1, "found": 1},
        "128+": {"boxes": 1, "found": 0},
    }
    assert all(v["boxes"] == 0 for v in acc.recall_by_size(0).values())

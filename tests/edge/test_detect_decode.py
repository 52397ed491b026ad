"""Letterbox geometry and YOLO-head decoding with OpenCV's NMS: table tests on built tensors."""

from __future__ import annotations

import numpy as np
import pytest

from edge.detect.letterbox import Letterbox, decode_yolo_head, letterbox, to_blob


@pytest.mark.parametrize(
    ("wh", "scale", "pad"),
    [
        ((640, 360), 0.5, (0.0, 70.0)),
        ((320, 320), 1.0, (0.0, 0.0)),
        ((180, 360), 0.889, (80.0, 0.0)),
    ],
)
def test_letterbox_fits_and_centres(
    wh: tuple[int, int], scale: float, pad: tuple[float, float]
) -> None:
    img = np.full((wh[1], wh[0], 3), 200, np.uint8)
    out, box = letterbox(img, 320)
    assert out.shape == (320, 320, 3) and out.dtype == np.uint8
    assert box.scale == pytest.approx(scale, abs=1e-3)
    assert box.pad_xy == pytest.approx(pad, abs=1.0)
    if pad[1] > 0:
        assert (out[0, 160] == 114).all() and (out[160, 160] == 200).all()
    blob = to_blob(out)
    assert blob.shape == (1, 3, 320, 320) and blob.dtype == np.float32 and blob.max() <= 1.0


def test_letterbox_into_a_rectangular_input() -> None:
    img = np.full((360, 640, 3), 200, np.uint8)
    out, box = letterbox(img, (192, 320))
    assert out.shape == (192, 320, 3)
    assert box.scale == pytest.approx(0.5) and box.pad_xy == pytest.approx((0.0, 6.0), abs=1.0)


def _head(rows: list[tuple[float, float, float, float, list[float]]], nc: int = 3) -> np.ndarray:
    out = np.zeros((1, 4 + nc, max(len(rows), 1)), np.float32)
    for i, (cx, cy, w, h, scores) in enumerate(rows):
        out[0, :4, i] = (cx, cy, w, h)
        out[0, 4:, i] = scores
    return out


BOX = Letterbox(0.5, (0.0, 70.0), (640, 360))


@pytest.mark.parametrize(
    ("rows", "expect"),
    [
        # two overlapping boxes of one class: NMS keeps the stronger
        ([(100, 150, 40, 40, [0.9, 0, 0]), (102, 151, 40, 40, [0.8, 0, 0])], [(0, 0.9)]),
        # the same place, different classes: both kept (class-aware NMS)
        ([(100, 150, 40, 40, [0.9, 0, 0]), (100, 150, 40, 40, [0, 0.7, 0])], [(0, 0.9), (1, 0.7)]),
        # under the confidence floor: nothing
        ([(100, 150, 40, 40, [0.1, 0.2, 0.1])], []),
        # far apart, one class: both kept, strongest first
        ([(50, 100, 20, 20, [0, 0, 0.6]), (250, 200, 20, 20, [0, 0, 0.8])], [(2, 0.8), (2, 0.6)]),
    ],
)
def test_decode_and_nms(rows: list, expect: list[tuple[int, float]]) -> None:  # type: ignore[type-arg]
    dets = decode_yolo_head(_head(rows), BOX, confidence=0.25, iou=0.5, num_classes=3)
    got = [
        (int(c), round(float(s), 2)) for c, s in zip(dets.class_id, dets.confidence, strict=True)
    ]
    assert got == expect
    assert dets.resolution_wh == (640, 360)


def test_boxes_map_back_to_source_pixels() -> None:
    dets = decode_yolo_head(_head([(100, 150, 40, 40, [0.9, 0, 0])]), BOX, 0.25, 0.5, 3)
    # input (80..120, 130..170) → minus pad (0, 70) → divided by 0.5
    assert dets.xyxy[0].tolist() == pytest.approx([160, 120, 240, 200])


def test_wrong_head_shape_is_named() -> None:
    with pytest.raises(ValueError, match=r"expected model output \(1, 7, N\), got \(1, 6, 10\)"):
        decode_yolo_head(np.zeros((1, 6, 10), np.float32), BOX, 0.25, 0.5, 3)

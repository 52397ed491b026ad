"""The shipped detector, run with ONNX Runtime alone (no torch): contract and detections."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from edge.synth import SceneScript, SyntheticScene
from models.metrics import box_iou
from models.onnx_detect import OnnxDetector
from models.paths import CLASS_NAMES, ONNX_FP32, ONNX_INT8

DATA = Path(__file__).parent / "data"
MODELS = [ONNX_FP32, ONNX_INT8]


@pytest.mark.parametrize("path", MODELS, ids=["fp32", "int8"])
def test_contract(path: Path) -> None:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    assert inp.name == "images"
    assert inp.type == "tensor(float)"
    assert list(inp.shape) == [1, 3, 320, 320]
    out = sess.run(None, {"images": np.zeros((1, 3, 320, 320), np.float32)})[0]
    assert out.shape == (1, 4 + len(CLASS_NAMES), 2100)
    names = OnnxDetector(path).names
    assert names == dict(enumerate(CLASS_NAMES))


def _hits(
    det: OnnxDetector,
    image: np.ndarray,
    truth: list[tuple[str, tuple[int, int, int, int]]],
    name: str,
) -> int:
    d = det.detect(image, conf=0.25)
    boxes = np.array([b for n, b in truth if n == name], np.float32).reshape(-1, 4)
    mine = d.xyxy[d.class_id == CLASS_NAMES.index(name)]
    if len(mine) == 0 or len(boxes) == 0:
        return 0
    return int((box_iou(boxes, mine).max(axis=1) >= 0.3).sum())


# (preset, scene time, class): moments where the preset shows a still target.
SCENES = [
    ("street_corner", 25.0, "gas_cylinder"),
    ("street_corner", 30.0, "gas_cylinder"),
    ("street_corner", 58.0, "waste"),
    ("street_corner", 70.0, "waste"),
    ("construction_site", 30.0, "dust"),
    ("construction_site", 60.0, "gas_cylinder"),
]


@pytest.mark.parametrize("path", MODELS, ids=["fp32", "int8"])
def test_detects_synthetic_scene_targets(path: Path) -> None:
    det = OnnxDetector(path)
    found = 0
    for preset, t_s, name in SCENES:
        frame = SyntheticScene(SceneScript.preset(preset), seed=0).render_at(t_s)
        truth = [(b.class_name, b.xyxy) for b in frame.truth]
        assert any(n == name for n, _ in truth)
        found += _hits(det, frame.image, truth, name) > 0
    assert found >= len(SCENES) - 1, f"found targets in {found} of {len(SCENES)} scene frames"


# Real kerbside photos from the shared val split (never trained on): the pile of clear bags
# was missed by the first model (a strict xfail until the det3 stage found it).
PHOTOS = [
    pytest.param("waste_doorstep", id="doorstep"),
    pytest.param("waste_pile", id="pile"),
]


@pytest.mark.parametrize("photo", PHOTOS)
@pytest.mark.parametrize("path", MODELS, ids=["fp32", "int8"])
def test_finds_waste_in_a_real_photo(path: Path, photo: str) -> None:
    image = cv2.imread(str(DATA / f"{photo}.jpg"))
    assert image is not None
    d = OnnxDetector(path).detect(image, conf=0.25)
    waste = d.xyxy[d.class_id == CLASS_NAMES.index("waste")]
    assert len(waste) >= 1
    h, w = image.shape[:2]
    rows = np.loadtxt(DATA / f"{photo}.txt", ndmin=2)
    cx, cy, bw, bh = rows[:, 1] * w, rows[:, 2] * h, rows[:, 3] * w, rows[:, 4] * h
    truth = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    assert box_iou(waste, truth).max() >= 0.3


def test_empty_scene_stays_quiet() -> None:
    script = SceneScript.from_dict({"background": "street", "duration_s": 10.0, "episodes": []})
    det = OnnxDetector(ONNX_FP32)
    frame = SyntheticScene(script, seed=4).render_at(1.0)
    d = det.detect(frame.image, conf=0.5)
    assert len(d) == 0, [
        (CLASS_NAMES[c], float(s)) for c, s in zip(d.class_id, d.confidence, strict=True)
    ]

"""The detector's runtime seam: OpenVINO gives what ONNX Runtime gives on the same file.

Real frames: the two street photos of ``tests/models/data`` and synthetic scene frames with
still targets. fp32: raw outputs equal within float error and identical detections; int8:
each runtime runs its own int8 kernels, so detections match by place and class with scores
at most 0.08 apart (0.051 the most seen here). Skipped, with the reason, where OpenVINO is not installed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from edge.detect.base import DetectorError, build_detector
from edge.detect.letterbox import letterbox, to_blob
from edge.detect.onnx import OnnxDetector
from edge.detect.runtime import available, load_runtime, resolve
from edge.detections import Detections
from edge.settings import DetectorSettings
from edge.synth import SceneScript, SyntheticScene
from models.metrics import box_iou
from models.paths import ONNX_FP32, ONNX_INT8

DATA = Path(__file__).resolve().parent.parent / "models" / "data"
needs_openvino = pytest.mark.skipif(
    not available("openvino"), reason="openvino is not installed (pip install '.[openvino]')"
)


@pytest.fixture(scope="module")
def frames() -> list[npt.NDArray[np.uint8]]:
    out: list[npt.NDArray[np.uint8]] = []
    for path in sorted(DATA.glob("*.jpg")):
        photo = cv2.imread(str(path))
        assert photo is not None, path
        out.append(np.asarray(photo, np.uint8))
    for preset, at_s in (
        ("street_corner", 25.0),
        ("street_corner", 58.0),
        ("construction_site", 30.0),
    ):
        scene = SyntheticScene(SceneScript.preset(preset), (640, 360), 2.0, seed=4)
        for _ in range(int(at_s * 2)):
            image = scene.next_frame().image
        out.append(image)
    assert len(out) == 5
    return out


@pytest.mark.parametrize(
    ("backend", "want"),
    [
        ("onnx", "onnxruntime"),
        ("onnxruntime", "onnxruntime"),
        ("openvino", "openvino"),
        ("auto", "openvino" if available("openvino") else "onnxruntime"),
        ("truth", ValueError),
    ],
)
def test_backend_names_resolve(backend: str, want: str | type[Exception]) -> None:
    if isinstance(want, str):
        assert resolve(backend) == want
    else:
        with pytest.raises(want, match="not an ONNX runtime"):
            resolve(backend)


def test_an_unknown_backend_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="backend"):
        DetectorSettings.model_validate({"backend": "tensorrt"})


def test_a_missing_model_is_named_on_every_runtime(tmp_path: Path) -> None:
    for backend in ("onnxruntime", "openvino"):
        with pytest.raises(DetectorError, match=r"missing\.onnx"):
            build_detector(DetectorSettings(backend=backend, model_path=tmp_path / "missing.onnx"))


def _matched(a: Detections, b: Detections, floor: float, score_tol: float) -> list[str]:
    """What in ``a`` above ``floor`` has no twin in ``b`` (same class, IoU ≥ 0.7, score close)."""
    problems = []
    for i in np.flatnonzero(a.confidence >= floor):
        same = np.flatnonzero(b.class_id == a.class_id[i])
        if len(same) == 0:
            problems.append(f"class {a.class_id[i]} at {a.xyxy[i].round()} missing")
            continue
        iou = box_iou(a.xyxy[i : i + 1], b.xyxy[same])[0]
        close = np.abs(b.confidence[same] - a.confidence[i]) <= score_tol
        if not ((iou >= 0.7) & close).any():
            j = same[int(iou.argmax())]
            problems.append(
                f"class {a.class_id[i]} {a.confidence[i]:.3f} vs {b.confidence[j]:.3f}, "
                f"IoU {iou.max():.2f}"
            )
    return problems


@needs_openvino
def test_openvino_fp32_matches_onnxruntime(frames: list[npt.NDArray[np.uint8]]) -> None:
    ort_rt = load_runtime("onnxruntime", ONNX_FP32, 1)
    ov_rt = load_runtime("openvino", ONNX_FP32, 1)
    assert ov_rt.input_shape == ort_rt.input_shape == (1, 3, 320, 320)
    assert ov_rt.output_shape == ort_rt.output_shape
    for image in frames:
        blob = to_blob(letterbox(image, 320)[0])
        a, b = ort_rt.infer(blob), ov_rt.infer(blob)
        assert a.shape == b.shape == (1, 8, 2100)
        assert np.abs(a[0, :4] - b[0, :4]).max() < 0.01  # box pixels at 320
        assert np.abs(a[0, 4:] - b[0, 4:]).max() < 1e-4  # class scores
    dets = {
        rt: OnnxDetector(DetectorSettings(backend=rt, model_path=ONNX_FP32, confidence=0.25))
        for rt in ("onnxruntime", "openvino")
    }
    assert dets["openvino"].runtime.name == "openvino"
    found = 0
    for image in frames:
        da, db = dets["onnxruntime"].detect(image), dets["openvino"].detect(image)
        assert da.class_id.tolist() == db.class_id.tolist()
        np.testing.assert_allclose(da.xyxy, db.xyxy, atol=0.05)
        np.testing.assert_allclose(da.confidence, db.confidence, atol=1e-4)
        found += len(da)
    assert found >= 10, "the frames must show something to compare"


@needs_openvino
def test_openvino_int8_matches_onnxruntime_within_quantisation(
    frames: list[npt.NDArray[np.uint8]],
) -> None:
    dets = {
        rt: OnnxDetector(DetectorSettings(backend=rt, model_path=ONNX_INT8, confidence=0.2))
        for rt in ("onnxruntime", "openvino")
    }
    found = 0
    for image in frames:
        a, b = dets["onnxruntime"].detect(image), dets["openvino"].detect(image)
        assert not _matched(a, b, 0.35, 0.08), _matched(a, b, 0.35, 0.08)
        assert not _matched(b, a, 0.35, 0.08), _matched(b, a, 0.35, 0.08)
        found += int((a.confidence >= 0.35).sum())
    assert found >= 10, "the frames must show something to compare"


@needs_openvino
def test_openvino_serves_pipelines_on_several_threads(
    frames: list[npt.NDArray[np.uint8]],
) -> None:
    """The box's camera pipelines share one detector: inferences from several threads at
    once each get their own frame's answer."""
    rt = load_runtime("openvino", ONNX_FP32, 1)
    blobs = [to_blob(letterbox(f, 320)[0]) for f in frames]
    want = [rt.infer(b) for b in blobs]
    errors: list[str] = []
    start = threading.Barrier(3)

    def work(k: int) -> None:
        start.wait()
        for n in range(12):
            i = (k + n) % len(blobs)
            if not np.array_equal(rt.infer(blobs[i]), want[i]):
                errors.append(f"thread {k} frame {i}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []

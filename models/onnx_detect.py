"""Run an exported detector with ONNX Runtime alone: letterbox, raw head decode, class-wise NMS.

This is the reference for the ONNX contract in `models/README.md`; evaluation, the benchmark
and the tests use it, so fp32 and int8 are scored by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into the square input: scale, then (left, top) padding."""

    scale: float
    pad_xy: tuple[float, float]


@dataclass(frozen=True)
class RawDetections:
    """Detections in original-frame pixels: `xyxy` (N, 4), `confidence` (N,), `class_id` (N,)."""

    xyxy: F32
    confidence: F32
    class_id: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.confidence.shape[0])


def letterbox(bgr: np.ndarray, size: int) -> tuple[F32, Letterbox]:
    """BGR uint8 frame -> 1x3xSxS float32 RGB in 0-1, grey (114) bands, image centred."""
    h, w = bgr.shape[:2]
    r = min(size / h, size / w)
    nw, nh = round(w * r), round(h * r)
    resized = (
        cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else bgr
    )
    left, top = (size - nw) / 2, (size - nh) / 2
    canvas = np.full((size, size, 3), 114, np.uint8)
    x0, y0 = round(left - 0.1), round(top - 0.1)
    canvas[y0 : y0 + nh, x0 : x0 + nw] = resized
    tensor = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    return np.ascontiguousarray(tensor), Letterbox(r, (float(x0), float(y0)))


def nms(boxes: F32, scores: F32, iou: float) -> npt.NDArray[np.int64]:
    """Indices kept by greedy non-maximum suppression, highest score first."""
    order = np.argsort(-scores)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx0 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy0 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx1 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy1 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx1 - xx0, 0, None) * np.clip(yy1 - yy0, 0, None)
        overlap = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = rest[overlap <= iou]
    return np.array(keep, dtype=np.int64)


def decode(
    raw: F32, conf: float, iou: float, max_det: int = 300
) -> tuple[F32, F32, npt.NDArray[np.int64]]:
    """Raw head (4+nc, N) -> boxes xyxy in input pixels, scores, classes after class-wise NMS."""
    preds = raw.T
    scores_all = preds[:, 4:]
    class_id = scores_all.argmax(axis=1)
    scores = scores_all[np.arange(len(preds)), class_id]
    mask = scores >= conf
    cxcywh, scores, class_id = preds[mask, :4], scores[mask], class_id[mask]
    xyxy = np.concatenate(
        [cxcywh[:, :2] - cxcywh[:, 2:] / 2, cxcywh[:, :2] + cxcywh[:, 2:] / 2], axis=1
    )
    if len(scores) > 3000:
        top = np.argsort(-scores)[:3000]
        xyxy, scores, class_id = xyxy[top], scores[top], class_id[top]
    offset = class_id[:, None].astype(np.float32) * 4096.0  # separate classes for one NMS pass
    keep = nms((xyxy + offset).astype(np.float32), scores.astype(np.float32), iou)[:max_det]
    return (
        xyxy[keep].astype(np.float32),
        scores[keep].astype(np.float32),
        class_id[keep].astype(np.int64),
    )


class OnnxDetector:
    """A single-input YOLO-head ONNX model on ONNX Runtime's CPU provider."""

    def __init__(
        self, path: Path | str, threads: int = 1, conf: float = 0.25, iou: float = 0.5
    ) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.imgsz = int(inp.shape[2])
        self.conf, self.iou = conf, iou
        meta = self.session.get_modelmeta().custom_metadata_map
        self.names = _parse_names(meta.get("names", ""))

    def raw(self, tensor: F32) -> F32:
        """The head's raw output (4+nc, N) for one preprocessed 1x3xSxS tensor."""
        out = self.session.run(None, {self.input_name: tensor})[0]
        result: F32 = np.asarray(out[0], dtype=np.float32)
        return result

    def detect(
        self, bgr: np.ndarray, conf: float | None = None, max_det: int = 300
    ) -> RawDetections:
        tensor, lb = letterbox(bgr, self.imgsz)
        xyxy, scores, cls = decode(
            self.raw(tensor), self.conf if conf is None else conf, self.iou, max_det
        )
        h, w = bgr.shape[:2]
        xyxy[:, [0, 2]] = np.clip((xyxy[:, [0, 2]] - lb.pad_xy[0]) / lb.scale, 0, w)
        xyxy[:, [1, 3]] = np.clip((xyxy[:, [1, 3]] - lb.pad_xy[1]) / lb.scale, 0, h)
        return RawDetections(xyxy, scores, cls)


def _parse_names(text: str) -> dict[int, str]:
    """Ultralytics stores names as a Python dict literal: "{0: 'gas_cylinder', ...}"."""
    import ast

    try:
        value = ast.literal_eval(text) if text else {}
    except (ValueError, SyntaxError):
        return {}
    return {int(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

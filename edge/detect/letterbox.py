"""Letterbox resize, YOLO-head decoding and NMS: pure array code, table-tested.

NMS is OpenCV's ``cv2.dnn.NMSBoxesBatched`` (class-aware), not a hand-written loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.detections import Detections

PAD_GREY = 114


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How an image was fitted into the square model input."""

    scale: float
    pad_xy: tuple[float, float]
    source_wh: tuple[int, int]


def letterbox(
    image: npt.NDArray[np.uint8], size: int | tuple[int, int]
) -> tuple[npt.NDArray[np.uint8], Letterbox]:
    """Resize keeping aspect ratio into ``size`` (square, or ``(h, w)``), centred on grey 114.

    A rectangular model input (e.g. 192×320 for 16:9 cameras) skips most of the grey bands.
    """
    th, tw = (size, size) if isinstance(size, int) else size
    h, w = image.shape[:2]
    scale = min(tw / w, th / h)
    nw, nh = min(tw, round(w * scale)), min(th, round(h * scale))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    px, py = (tw - nw) / 2, (th - nh) / 2
    top, left = round(py - 0.1), round(px - 0.1)
    out = cv2.copyMakeBorder(
        resized,
        top,
        th - nh - top,
        left,
        tw - nw - left,
        cv2.BORDER_CONSTANT,
        value=(PAD_GREY, PAD_GREY, PAD_GREY),
    )
    return np.asarray(out, np.uint8), Letterbox(scale, (float(left), float(top)), (w, h))


def to_blob(square_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """BGR HWC uint8 → RGB 1x3xHxW float32 in 0–1."""
    rgb = square_bgr[:, :, ::-1].transpose(2, 0, 1)
    return np.ascontiguousarray(rgb, dtype=np.float32)[None] / np.float32(255.0)


def decode_yolo_head(
    output: npt.NDArray[np.float32],
    box: Letterbox,
    confidence: float,
    iou: float,
    num_classes: int,
) -> Detections:
    """Decode a raw 1x(4+nc)xN YOLOv8 head into image-pixel detections after NMS."""
    if output.ndim != 3 or output.shape[0] != 1 or output.shape[1] != 4 + num_classes:
        raise ValueError(
            f"expected model output (1, {4 + num_classes}, N), got {tuple(output.shape)}"
        )
    preds = output[0].T  # N x (4+nc)
    scores_all = preds[:, 4:]
    class_id = scores_all.argmax(axis=1)
    scores = scores_all[np.arange(len(preds)), class_id]
    keep = scores >= confidence
    if not keep.any():
        return Detections.empty(box.source_wh)
    preds, scores, class_id = preds[keep], scores[keep], class_id[keep]
    cx, cy, bw, bh = preds[:, 0], preds[:, 1], preds[:, 2], preds[:, 3]
    px, py = box.pad_xy
    x0 = (cx - bw / 2 - px) / box.scale
    y0 = (cy - bh / 2 - py) / box.scale
    x1 = (cx + bw / 2 - px) / box.scale
    y1 = (cy + bh / 2 - py) / box.scale
    w, h = box.source_wh
    xyxy = np.stack(
        [np.clip(x0, 0, w), np.clip(y0, 0, h), np.clip(x1, 0, w), np.clip(y1, 0, h)], axis=1
    ).astype(np.float32)
    xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
    kept = cv2.dnn.NMSBoxesBatched(
        xywh.tolist(), scores.astype(float).tolist(), class_id.tolist(), confidence, iou
    )
    idx = np.asarray(kept, dtype=np.int64).reshape(-1)
    valid = (xyxy[idx, 2] > xyxy[idx, 0]) & (xyxy[idx, 3] > xyxy[idx, 1])
    idx = idx[valid]
    order = idx[np.argsort(-scores[idx], kind="stable")]
    return Detections(
        xyxy[order],
        scores[order].astype(np.float32),
        class_id[order].astype(np.int64),
        box.source_wh,
    )

"""``python -m edge detect FILE``: detections of an image or video, printed and drawn."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.detect.base import Detector
from edge.detections import Detections
from edge.snapshot import annotate

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def describe(dets: Detections, class_names: tuple[str, ...]) -> list[str]:
    lines = []
    for i in range(len(dets)):
        x0, y0, x1, y1 = (round(float(v)) for v in dets.xyxy[i])
        lines.append(
            f"{class_names[int(dets.class_id[i])]} {float(dets.confidence[i]):.2f} "
            f"xyxy=({x0}, {y0}, {x1}, {y1})"
        )
    return lines


def _boxes(
    dets: Detections, class_names: tuple[str, ...]
) -> list[tuple[tuple[float, float, float, float], str, float]]:
    norm = dets.xyxy_norm()
    return [
        (
            (float(norm[i, 0]), float(norm[i, 1]), float(norm[i, 2]), float(norm[i, 3])),
            class_names[int(dets.class_id[i])],
            float(dets.confidence[i]),
        )
        for i in range(len(dets))
    ]


def detect_file(detector: Detector, file: Path, out: Path | None = None) -> Path:
    """Print one line per detection (per frame for a video); return the annotated copy's path."""
    if not file.is_file():
        raise ValueError(f"no such file {str(file)!r}")
    names = detector.class_names
    if file.suffix.lower() in IMAGE_SUFFIXES:
        raw = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if raw is None:
            raise ValueError(f"cannot decode image {str(file)!r}")
        image = np.asarray(raw, np.uint8)
        dets = detector.detect(image)
        for line in describe(dets, names) or ["no detections"]:
            print(line)
        target = out or file.with_name(f"{file.stem}.detected.jpg")
        if not cv2.imwrite(str(target), annotate(image, _boxes(dets, names))):
            raise ValueError(f"cannot write {str(target)!r}")
        return target
    cap = cv2.VideoCapture(str(file), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise ValueError(f"cannot open video {str(file)!r}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    target = out or file.with_name(f"{file.stem}.detected.avi")
    writer: cv2.VideoWriter | None = None
    index = 0
    try:
        while True:
            ok, raw_frame = cap.read()
            if not ok:
                break
            image = np.asarray(raw_frame, np.uint8)
            dets = detector.detect(image)
            for line in describe(dets, names):
                print(f"frame {index}: {line}")
            if writer is None:
                h, w = image.shape[:2]
                writer = cv2.VideoWriter(str(target), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
            writer.write(annotate(image, _boxes(dets, names)))
            index += 1
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    if index == 0:
        raise ValueError(f"video {str(file)!r} has no frames")
    print(f"{index} frames")
    return target

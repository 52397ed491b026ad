"""A detector that reads a synthetic frame's ground truth: a test seam for rule logic.

It never looks at pixels; it is selected only by ``backend: truth`` and exists so that rules,
events and delivery can be tested without a trained model. The must-show scene test runs the
real ONNX model.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from edge.detections import Detections
from edge.sources.base import Frame


class TruthDetector:
    def __init__(self, class_names: tuple[str, ...], confidence: float = 0.9) -> None:
        self.class_names = class_names
        self.version = "truth"
        self.alert_confidence: dict[str, float] = {}  # ground truth: the zones' thresholds
        self._confidence = confidence

    def detect(self, image: npt.NDArray[np.uint8], frame: Frame | None = None) -> Detections:
        h, w = image.shape[:2]
        if frame is None or not frame.truth:
            return Detections.empty((w, h))
        fw, fh = frame.image.shape[1], frame.image.shape[0]
        sx, sy = w / fw, h / fh
        boxes, conf, cls = [], [], []
        for name, (x0, y0, x1, y1) in frame.truth:
            if name in self.class_names:
                boxes.append((x0 * sx, y0 * sy, x1 * sx, y1 * sy))
                conf.append(self._confidence)
                cls.append(self.class_names.index(name))
        return Detections.from_lists(boxes, conf, cls, (w, h))

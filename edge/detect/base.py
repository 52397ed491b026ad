"""The detector protocol and the factory that builds one from settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
import numpy.typing as npt

from edge.detections import Detections
from edge.settings import DetectorSettings
from edge.sources.base import Frame


class DetectorError(Exception):
    """A model that cannot be loaded or does not fit the configured contract."""


class Detector(Protocol):
    class_names: tuple[str, ...]
    version: str

    @property
    def alert_confidence(self) -> Mapping[str, float]:
        """Per-class alert thresholds of the model (empty: the zones' own)."""
        ...

    def detect(self, image: npt.NDArray[np.uint8], frame: Frame | None = None) -> Detections:
        """Detect objects in a BGR ``image``; boxes are in ``image`` pixels.

        ``frame`` is the captured frame the image was made from; model backends ignore it
        (only the truth detector, a test seam, reads its ground truth).
        """
        ...


def build_detector(settings: DetectorSettings) -> Detector:
    """Load the configured backend; raises DetectorError naming the file and the problem."""
    if settings.backend in ("onnx", "onnxruntime", "openvino", "auto"):
        from edge.detect.onnx import OnnxDetector

        return OnnxDetector(settings)
    if settings.backend == "ultralytics":
        from edge.detect.ultra import UltralyticsDetector

        return UltralyticsDetector(settings)
    from edge.detect.truth import TruthDetector

    return TruthDetector(tuple(settings.class_names))

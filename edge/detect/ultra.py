"""Ultralytics backend for ``.pt`` weights; optional, imported only when configured."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from edge.detect.base import DetectorError
from edge.detect.thresholds import alert_thresholds
from edge.detections import Detections
from edge.settings import DetectorSettings
from edge.sources.base import Frame


class UltralyticsDetector:
    def __init__(self, settings: DetectorSettings) -> None:
        try:
            from ultralytics import YOLO
        except ImportError:
            raise DetectorError(
                "backend 'ultralytics' needs the ultralytics package (training extra); "
                "use backend 'onnx' on an edge box"
            ) from None
        if not settings.model_path.is_file():
            raise DetectorError(f"model file {str(settings.model_path)!r} does not exist")
        self._model: Any = YOLO(str(settings.model_path))
        self._settings = settings
        self.class_names = tuple(settings.class_names)
        self.version = settings.model_path.name
        self.alert_confidence = alert_thresholds(settings)

    def detect(self, image: npt.NDArray[np.uint8], frame: Frame | None = None) -> Detections:
        result = self._model.predict(
            image,
            imgsz=self._settings.input_size,
            conf=self._settings.confidence,
            iou=self._settings.iou,
            verbose=False,
        )[0]
        return from_ultralytics(result, (image.shape[1], image.shape[0]))


def from_ultralytics(result: Any, resolution_wh: tuple[int, int]) -> Detections:
    boxes = result.boxes
    return Detections(
        np.asarray(boxes.xyxy.cpu().numpy(), np.float32).reshape(-1, 4),
        np.asarray(boxes.conf.cpu().numpy(), np.float32).reshape(-1),
        np.asarray(boxes.cls.cpu().numpy(), np.int64).reshape(-1),
        resolution_wh,
    )

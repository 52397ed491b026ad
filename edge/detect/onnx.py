"""The ONNX model detector: letterbox → an inference runtime → YOLO decode. No torch.

The runtime (ONNX Runtime or OpenVINO, ``edge.detect.runtime``) is chosen by
``detector.backend``; both read the same ``.onnx`` file, so the checks below hold for each.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge.detect.base import DetectorError
from edge.detect.letterbox import decode_yolo_head, letterbox, to_blob
from edge.detect.runtime import InferenceRuntime, RuntimeUnavailable, load_runtime, resolve
from edge.detect.thresholds import alert_thresholds
from edge.detections import Detections
from edge.settings import DetectorSettings
from edge.sources.base import Frame


def model_version(path: Path) -> str:
    """``file-name@sha256[:12]``: what stats report as the running model."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{path.name}@{digest}"


class OnnxDetector:
    def __init__(self, settings: DetectorSettings) -> None:
        path = settings.model_path
        if not path.is_file():
            raise DetectorError(f"model file {str(path)!r} does not exist")
        name = resolve(settings.backend)
        try:
            self.runtime: InferenceRuntime = load_runtime(name, path, settings.threads)
        except RuntimeUnavailable as exc:
            raise DetectorError(str(exc)) from None
        except Exception as exc:  # the runtimes raise their own untyped errors
            raise DetectorError(f"cannot load model {str(path)!r} on {name}: {exc}") from None
        shape = list(self.runtime.input_shape)
        if len(shape) != 4 or shape[1] != 3:
            raise DetectorError(f"model {path.name}: expected input 1x3xHxW, got {shape}")
        size = settings.input_size
        hw = shape[2:]
        if all(isinstance(d, int) for d in hw):
            h, w = int(hw[0] or 0), int(hw[1] or 0)
            if max(h, w) != size or min(h, w) % 32:
                raise DetectorError(
                    f"model {path.name} takes {hw} input, config says {size} (the long side)"
                )
            self._size: int | tuple[int, int] = (h, w)
        else:
            self._size = size
        out_shape = self.runtime.output_shape
        nc = len(settings.class_names)
        if len(out_shape) > 1 and isinstance(out_shape[1], int) and out_shape[1] != 4 + nc:
            raise DetectorError(
                f"model {path.name} outputs {out_shape[1] - 4} classes, "
                f"config names {nc}: {settings.class_names}"
            )
        self._settings = settings
        self.class_names = tuple(settings.class_names)
        self.version = model_version(path)
        self.alert_confidence = alert_thresholds(settings)

    def detect(self, image: npt.NDArray[np.uint8], frame: Frame | None = None) -> Detections:
        square, box = letterbox(image, self._size)
        out = self.runtime.infer(to_blob(square))
        return decode_yolo_head(
            out, box, self._settings.confidence, self._settings.iou, len(self.class_names)
        )

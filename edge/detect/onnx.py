"""ONNX Runtime backend (the default): no torch on the box."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge.detect.base import DetectorError
from edge.detect.letterbox import decode_yolo_head, letterbox, to_blob
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
        import onnxruntime as ort

        path = settings.model_path
        if not path.is_file():
            raise DetectorError(f"model file {str(path)!r} does not exist")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = settings.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise DetectorError(f"cannot load model {str(path)!r}: {exc}") from None
        inp = self._session.get_inputs()[0]
        shape = list(inp.shape)
        if len(shape) != 4 or shape[1] != 3:
            raise DetectorError(f"model {path.name}: expected input 1x3xHxW, got {shape}")
        size = settings.input_size
        hw = shape[2:]
        if all(isinstance(d, int) for d in hw):
            if max(hw) != size or min(hw) % 32:
                raise DetectorError(
                    f"model {path.name} takes {hw} input, config says {size} (the long side)"
                )
            self._size: int | tuple[int, int] = (int(hw[0]), int(hw[1]))
        else:
            self._size = size
        out_shape = self._session.get_outputs()[0].shape
        nc = len(settings.class_names)
        if isinstance(out_shape[1], int) and out_shape[1] != 4 + nc:
            raise DetectorError(
                f"model {path.name} outputs {out_shape[1] - 4} classes, "
                f"config names {nc}: {settings.class_names}"
            )
        self._input = inp.name
        self._settings = settings
        self.class_names = tuple(settings.class_names)
        self.version = model_version(path)
        self.alert_confidence = alert_thresholds(settings)

    def detect(self, image: npt.NDArray[np.uint8], frame: Frame | None = None) -> Detections:
        square, box = letterbox(image, self._size)
        (out,) = self._session.run(None, {self._input: to_blob(square)})[:1]
        return decode_yolo_head(
            np.asarray(out, np.float32),
            box,
            self._settings.confidence,
            self._settings.iou,
            len(self.class_names),
        )

"""The inference-runtime seam: load a model file, run a batch, return the raw outputs.

The detector (``edge.detect.onnx.OnnxDetector``) owns letterboxing and YOLO decoding; a
runtime only turns a ``1x3xHxW`` float32 blob into the model's first raw output. Two live
here: ONNX Runtime (``runtime_ort``) and OpenVINO (``runtime_openvino``, x86 boxes), both
reading the same ``.onnx`` file. An NPU runtime (RKNN, Hailo) would be a third class with
the same three members, loading its own compiled file (see docs/edge.md).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

RuntimeName = Literal["onnxruntime", "openvino"]
Dim = int | str | None


class InferenceRuntime(Protocol):
    """One loaded model on one runtime; not shared between threads."""

    name: RuntimeName
    input_shape: tuple[Dim, ...]
    """The model's input, ``(1, 3, H, W)``; a dimension that is not fixed is a str or None."""
    output_shape: tuple[Dim, ...]

    def infer(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The model's first output for ``batch`` (``1x3xHxW`` float32 in 0–1)."""
        ...


class RuntimeUnavailable(Exception):
    """The configured runtime is not installed on this box."""


def available(name: RuntimeName) -> bool:
    module = "onnxruntime" if name == "onnxruntime" else "openvino"
    return importlib.util.find_spec(module) is not None


def resolve(backend: str) -> RuntimeName:
    """A settings ``detector.backend`` → the runtime to load.

    ``onnx`` is the older name of ``onnxruntime``; ``auto`` takes OpenVINO where it is
    installed (x86 boxes with the ``openvino`` extra), else ONNX Runtime.
    """
    if backend in ("onnx", "onnxruntime"):
        return "onnxruntime"
    if backend == "openvino":
        return "openvino"
    if backend == "auto":
        return "openvino" if available("openvino") else "onnxruntime"
    raise ValueError(f"backend {backend!r} is not an ONNX runtime (onnxruntime, openvino, auto)")


def load_runtime(name: RuntimeName, path: Path, threads: int) -> InferenceRuntime:
    """Load ``path`` on runtime ``name`` with ``threads`` inference threads.

    Raises ``RuntimeUnavailable`` when the runtime's package is missing, and the runtime's
    own error when the file does not load (the detector wraps both with the file's name).
    """
    if not available(name):
        raise RuntimeUnavailable(
            f"detector backend {name!r} needs the {name!r} package, which is not installed "
            f"(pip install '.[{'openvino' if name == 'openvino' else 'edge'}]')"
        )
    if name == "openvino":
        from edge.detect.runtime_openvino import OpenVinoRuntime

        return OpenVinoRuntime(path, threads)
    from edge.detect.runtime_ort import OrtRuntime

    return OrtRuntime(path, threads)

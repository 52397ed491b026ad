"""OpenVINO on the CPU (x86 boxes): reads the same ``.onnx`` file, no conversion step.

Two settings differ from OpenVINO's defaults, on purpose:

- CPU pinning is off: a box runs one inference thread per camera process or pipeline, and
  pinned threads of several of them land on the same cores and halve each other.
- Inference precision is f32: on CPUs with bf16 units OpenVINO would otherwise run in
  bf16, whose scores differ from the fp32 model the alert thresholds were chosen on.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge.detect.runtime import Dim, RuntimeName


def _dims(partial_shape: object) -> tuple[Dim, ...]:
    out: list[Dim] = []
    for d in partial_shape:  # type: ignore[attr-defined]
        out.append(int(d.get_length()) if d.is_static else None)
    return tuple(out)


class OpenVinoRuntime:
    name: RuntimeName = "openvino"

    def __init__(self, path: Path, threads: int) -> None:
        import openvino as ov

        core = ov.Core()
        model = core.read_model(str(path))
        config = {
            "INFERENCE_NUM_THREADS": threads,
            "ENABLE_CPU_PINNING": False,
            "INFERENCE_PRECISION_HINT": "f32",
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
        }
        self._compiled = core.compile_model(model, "CPU", config)
        # one infer request per thread: the box's camera pipelines share one detector, and an
        # infer request (unlike an ONNX Runtime session) must not run two inferences at once
        self._local = threading.local()
        self.input_shape: tuple[Dim, ...] = _dims(model.inputs[0].get_partial_shape())
        self.output_shape: tuple[Dim, ...] = _dims(model.outputs[0].get_partial_shape())

    def infer(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        request.infer({0: batch})
        # the output tensor is the request's own buffer, overwritten by the next infer: copy
        return np.array(request.get_output_tensor(0).data, np.float32, copy=True)

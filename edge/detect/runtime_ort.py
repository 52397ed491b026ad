"""ONNX Runtime on the CPU: the default runtime, on every box."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge.detect.runtime import Dim, RuntimeName


class OrtRuntime:
    name: RuntimeName = "onnxruntime"

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        inp = self._session.get_inputs()[0]
        self._input = inp.name
        self.input_shape: tuple[Dim, ...] = tuple(inp.shape)
        self.output_shape: tuple[Dim, ...] = tuple(self._session.get_outputs()[0].shape)

    def infer(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = self._session.run(None, {self._input: batch})[0]
        return np.asarray(out, np.float32)

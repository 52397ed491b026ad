"""Inference time of an ONNX detector on this machine: one thread, input only (no NMS)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np


def infer_ms(
    path: Path | str, imgsz: int = 320, threads: int = 1, runs: int = 60, warmup: int = 10
) -> dict[str, float]:
    """Median and 90th percentile of `session.run` on a random 1x3xSxS input."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x = np.random.default_rng(0).random((1, 3, imgsz, imgsz), dtype=np.float32)
    for _ in range(warmup):
        sess.run(None, {name: x})
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, {name: x})
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    return {
        "median": round(statistics.median(times), 2),
        "p90": round(times[int(0.9 * (len(times) - 1))], 2),
        "threads": float(threads),
        "runs": float(runs),
    }


def machine() -> dict[str, str]:
    """The CPU the figures were measured on: int8 results depend on its int8 instructions."""
    import platform

    import onnxruntime as ort

    model, flags = platform.processor() or platform.machine(), ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model in ("", platform.machine()):
                model = value.strip()
            elif key.strip() in ("flags", "Features") and not flags:
                flags = value
    int8 = sorted(
        f for f in flags.split() if f in ("avx2", "avx512bw", "avx512_vnni", "avx_vnni", "asimddp")
    )
    return {
        "cpu": model,
        "arch": platform.machine(),
        "int8_instructions": " ".join(int8) or "none listed",
        "onnxruntime": ort.__version__,
    }

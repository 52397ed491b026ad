"""Detector inference time at 320 px with ONNX Runtime, one thread: fp32 vs int8.

Usage: python bench/models_infer.py [--runs N]
The last printed line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.paths import IMGSZ, ONNX_FP32, ONNX_INT8
from models.timing import infer_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    result: dict[str, object] = {"bench": "models_infer", "imgsz": IMGSZ, "threads": args.threads}
    for key, path in (("fp32", ONNX_FP32), ("int8", ONNX_INT8)):
        ms = infer_ms(path, IMGSZ, threads=args.threads, runs=args.runs)
        result[f"{key}_ms_median"] = ms["median"]
        result[f"{key}_ms_p90"] = ms["p90"]
        result[f"{key}_fps"] = round(1000.0 / ms["median"], 1)
        print(f"{key}: median {ms['median']} ms, p90 {ms['p90']} ms", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

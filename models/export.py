"""`python -m models export`: ONNX fp32 and int8, evaluation, model card and checksums.

The int8 model is statically quantised (QDQ, per-channel int8 weights, uint8 activations)
with a calibration reader over validation images. The head's box decoding (DFL, anchors,
the concatenation of pixel boxes with 0-1 scores) stays in float: one int8 scale cannot hold
both ranges, and quantising it costs most of the accuracy for little speed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

from models.evaluate import evaluate_models, val_images
from models.onnx_detect import letterbox
from models.paths import (
    CHECKSUMS,
    CLASS_NAMES,
    CLASSES_YAML,
    DATA_DIR,
    EVAL_SHIPPED,
    IMGSZ,
    MODEL_CARD,
    MODELS_DIR,
    ONNX_FP32,
    ONNX_INT8,
)

log = logging.getLogger(__name__)
OPSET = 13
PT_SHIPPED = MODELS_DIR / "gridwall-det-320.pt"
CALIBRATION_IMAGES = 120


def export_fp32(weights: Path, out: Path = ONNX_FP32) -> Path:
    """Ultralytics ONNX export: raw head, static 1x3x320x320 input, no NMS."""
    from ultralytics import YOLO

    model = YOLO(str(weights))
    produced = Path(
        model.export(
            format="onnx", imgsz=IMGSZ, opset=OPSET, simplify=False, dynamic=False, nms=False
        )
    )
    _tag(produced, out)
    return out


def _tag(src: Path, out: Path) -> None:
    """Copy with the contract and class names added to the ONNX metadata."""
    import onnx

    model = onnx.load(str(src))
    meta = {p.key: p.value for p in model.metadata_props}
    meta["names"] = str(dict(enumerate(CLASS_NAMES)))
    meta["gridwall_contract"] = (
        "raw-yolov8-head/v1: input images 1x3x320x320 RGB 0-1 letterboxed; output 1x(4+nc)xN"
    )
    del model.metadata_props[:]
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(out))


class _Calibration:
    """onnxruntime CalibrationDataReader over letterboxed validation images."""

    def __init__(self, images: list[Path], input_name: str) -> None:
        self.images = images
        self.input_name = input_name
        self.i = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        while self.i < len(self.images):
            img = cv2.imread(str(self.images[self.i]))
            self.i += 1
            if img is not None:
                return {self.input_name: letterbox(img, IMGSZ)[0]}
        return None

    def rewind(self) -> None:
        self.i = 0


def head_float_nodes(model_path: Path) -> list[str]:
    """Names of the detect head's non-convolution nodes (kept in float)."""
    import onnx

    graph = onnx.load(str(model_path)).graph
    heads = sorted(
        {
            n.name.split("/")[1]
            for n in graph.node
            if n.name.count("/") > 1 and n.name.startswith("/model.")
        },
        key=lambda s: int(s.split(".")[1]),
    )
    last = heads[-1]  # the Detect module is the last one
    return [n.name for n in graph.node if n.name.startswith(f"/{last}/") and n.op_type != "Conv"]


def export_int8(fp32: Path, data_dir: Path, out: Path = ONNX_INT8) -> Path:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    sets = val_images(data_dir)
    rng = np.random.default_rng(0)
    pool = sets["real"] + sets["synthetic"]
    calib = [pool[i] for i in rng.permutation(len(pool))[:CALIBRATION_IMAGES]]
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        quantize_static(
            str(pre),
            str(out),
            _Calibration(calib, "images"),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=head_float_nodes(pre),
        )
    _tag(out, out)
    return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_checksums(files: list[Path], out: Path = CHECKSUMS) -> None:
    out.write_text("".join(f"{sha256(p)}  {p.name}\n" for p in files))


def write_classes(out: Path = CLASSES_YAML) -> None:
    out.write_text(
        "# Detector class ids of gridwall-det-320 (also in the ONNX metadata key `names`).\n"
        + yaml.safe_dump({"imgsz": IMGSZ, "names": dict(enumerate(CLASS_NAMES))}, sort_keys=False)
    )


def export_all(
    weights: Path | None, run_name: str, data_dir: Path = DATA_DIR, skip_eval: bool = False
) -> dict[str, Any]:
    from models.card import write_card
    from models.train import _best

    weights = weights or _best(run_name)
    log.info("exporting %s", weights)
    shutil.copyfile(weights, PT_SHIPPED)
    from ultralytics.utils.torch_utils import strip_optimizer

    strip_optimizer(str(PT_SHIPPED))  # weights only, fp16: what fine-tuning needs
    export_fp32(weights)
    export_int8(ONNX_FP32, data_dir)
    write_classes()
    if skip_eval and EVAL_SHIPPED.exists():
        report: dict[str, Any] = json.loads(EVAL_SHIPPED.read_text())
    else:
        report = evaluate_models([ONNX_FP32, ONNX_INT8], data_dir, EVAL_SHIPPED)
    report["weights"] = {
        "source": str(weights.relative_to(weights.parents[3])),
        "stages": _stages(weights),
    }
    EVAL_SHIPPED.write_text(json.dumps(report, indent=2))
    write_card(report, MODEL_CARD)
    write_checksums([ONNX_FP32, ONNX_INT8, PT_SHIPPED, CLASSES_YAML, EVAL_SHIPPED])
    for p in (ONNX_FP32, ONNX_INT8, PT_SHIPPED):
        log.info("%s: %.1f MB", p.name, p.stat().st_size / 1e6)
    return report


def _stages(weights: Path) -> list[dict[str, Any]]:
    """Training settings of this run and of the runs it was fine-tuned from, oldest first."""
    stages: list[dict[str, Any]] = []
    current: Path | None = weights
    while current is not None and len(stages) < 5:
        args = _train_args(current)
        args["run"] = current.parent.parent.name
        stages.insert(0, args)
        start = str(args.get("model", ""))
        current = Path(start) if start.endswith(".pt") and Path(start).exists() else None
    return stages


def _train_args(weights: Path) -> dict[str, Any]:
    """Training settings and progress recorded next to the run."""
    run = weights.parent.parent
    out: dict[str, Any] = {}
    args = run / "args.yaml"
    if args.exists():
        a = yaml.safe_load(args.read_text())
        keys = (
            "model",
            "epochs",
            "time",
            "batch",
            "nbs",
            "imgsz",
            "optimizer",
            "lr0",
            "mosaic",
            "close_mosaic",
            "pretrained",
            "seed",
        )
        out.update({k: a.get(k) for k in keys})
    results = run / "results.csv"
    if results.exists():
        rows = [r for r in results.read_text().splitlines() if r.strip()]
        out["epochs_done"] = len(rows) - 1
        header = [h.strip() for h in rows[0].split(",")]
        if "time" in header and len(rows) > 1:
            out["train_hours"] = round(float(rows[-1].split(",")[header.index("time")]) / 3600.0, 2)
    return out

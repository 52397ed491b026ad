"""`python -m models export`: ONNX fp32 and int8, evaluation, model card and checksums.

The int8 model is made by `models/quantize.py` (static QDQ, calibrated on train images).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import yaml

from models.evaluate import evaluate_models
from models.paths import (
    CHECKSUMS,
    CLASS_NAMES,
    CLASSES_YAML,
    DATA_DIR,
    EVAL_PREVIOUS,
    EVAL_SHIPPED,
    IMGSZ,
    MODEL_CARD,
    MODELS_DIR,
    ONNX_FP32,
    ONNX_INT8,
    REPO_ROOT,
)
from models.quantize import QuantSettings, export_int8

log = logging.getLogger(__name__)
OPSET = 13
PT_SHIPPED = MODELS_DIR / "gridwall-det-320.pt"


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


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_checksums(files: list[Path], out: Path = CHECKSUMS) -> None:
    out.write_text("".join(f"{sha256(p)}  {p.name}\n" for p in files))


def write_classes(
    thresholds: dict[str, float] | None = None,
    out: Path = CLASSES_YAML,
    by_file: dict[str, dict[str, float]] | None = None,
) -> None:
    """Class ids, and the per-class alert thresholds chosen on validation (`models/field.py`),
    which the edge agent takes as its defaults; `by_file` holds those a model file earned on
    its own detections where they differ (the int8 file)."""
    spec: dict[str, Any] = {"imgsz": IMGSZ, "names": dict(enumerate(CLASS_NAMES))}
    if thresholds:
        spec["alert_confidence"] = {n: float(thresholds[n]) for n in CLASS_NAMES}
    own = {
        name: {n: float(t[n]) for n in CLASS_NAMES}
        for name, t in (by_file or {}).items()
        if thresholds is None or any(float(t[n]) != float(thresholds[n]) for n in CLASS_NAMES)
    }
    if own:
        spec["alert_confidence_by_file"] = own
    out.write_text(
        "# Detector class ids of gridwall-det-320 (also in the ONNX metadata key `names`) and the\n"
        "# alert threshold per class chosen on validation (see MODEL_CARD.md); a model file\n"
        "# named under alert_confidence_by_file uses its own.\n"
        + yaml.safe_dump(spec, sort_keys=False)
    )


def thresholds_by_file(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each scored model file's own alert thresholds, from an evaluate report."""
    return {
        str(m["file"]): dict(m["alert_conf"])
        for m in report.get("models", {}).values()
        if isinstance(m.get("alert_conf"), dict)
    }


def export_all(
    weights: Path | None,
    run_name: str,
    data_dir: Path = DATA_DIR,
    skip_eval: bool = False,
    int8_only: bool = False,
    quant: QuantSettings | None = None,
) -> dict[str, Any]:
    """Ship a run's weights (or, with `int8_only`, re-quantise the shipped fp32 model)."""
    from models.card import write_card
    from models.train import _best

    previous = json.loads(EVAL_SHIPPED.read_text()) if EVAL_SHIPPED.exists() else {}
    if int8_only:
        if weights is not None:
            raise ValueError(
                f"int8_only re-quantises the shipped fp32 model; got weights {weights}"
            )
        log.info("re-quantising the shipped %s", ONNX_FP32.name)
        source = previous.get("weights", {"source": "shipped", "stages": []})
    else:
        weights = weights or _best(run_name)
        log.info("exporting %s", weights)
        source = {
            "source": str(weights.relative_to(weights.parents[3])),
            # read before the shipped files are replaced
            "stages": _stages(weights, previous.get("weights", {}).get("stages", [])),
        }
        shutil.copyfile(weights, PT_SHIPPED)
        from ultralytics.utils.torch_utils import strip_optimizer

        strip_optimizer(str(PT_SHIPPED))  # weights only, fp16: what fine-tuning needs
        export_fp32(weights)
    int8 = export_int8(ONNX_FP32, data_dir, ONNX_INT8, quant)
    _tag(ONNX_INT8, ONNX_INT8)
    if skip_eval and previous:
        report: dict[str, Any] = previous
    else:
        report = evaluate_models([ONNX_FP32, ONNX_INT8], data_dir, EVAL_SHIPPED)
    report["weights"] = source
    report["int8_quantization"] = int8
    write_classes(
        report.get("alert_conf") if isinstance(report.get("alert_conf"), dict) else None,
        by_file=thresholds_by_file(report),
    )
    EVAL_SHIPPED.write_text(json.dumps(report, indent=2))
    write_card(report, MODEL_CARD, previous=_previous())
    write_checksums([ONNX_FP32, ONNX_INT8, PT_SHIPPED, CLASSES_YAML, EVAL_SHIPPED])
    for p in (ONNX_FP32, ONNX_INT8, PT_SHIPPED):
        log.info("%s: %.1f MB", p.name, p.stat().st_size / 1e6)
    return report


def _previous() -> dict[str, Any] | None:
    """The evaluation of the model shipped before this one on today's sets, if kept."""
    return json.loads(EVAL_PREVIOUS.read_text()) if EVAL_PREVIOUS.exists() else None


def _stages(weights: Path, shipped: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Training settings of this run and of the runs it was fine-tuned from, oldest first.

    A run fine-tuned from the shipped weights inherits the stages recorded for them (their
    run folders are work files, gone on another checkout). A copy of the shipped weights
    (kept aside so a trial export can be undone) counts as them, and the stage names the
    shipped file rather than the copy's path.
    """
    stages: list[dict[str, Any]] = []
    current: Path | None = weights
    while current is not None and len(stages) < 8:
        if _is_shipped(current):
            if stages:
                stages[0]["model"] = str(PT_SHIPPED.relative_to(REPO_ROOT))
            return shipped + stages
        if not (current.parent.parent / "args.yaml").exists():
            break  # weights from outside a training run: the chain ends here
        args = _train_args(current)
        args["run"] = current.parent.parent.name
        stages.insert(0, args)
        start = str(args.get("model", ""))
        current = Path(start) if start.endswith(".pt") and Path(start).exists() else None
    return stages


def _is_shipped(weights: Path) -> bool:
    """The shipped weights themselves, or a byte-identical copy of them."""
    if weights.resolve() == PT_SHIPPED.resolve():
        return True
    if not PT_SHIPPED.exists() or weights.stat().st_size != PT_SHIPPED.stat().st_size:
        return False
    return sha256(weights) == sha256(PT_SHIPPED)


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
            "device",
            "seed",
        )
        out.update({k: a.get(k) for k in keys})
    notes = run / "gridwall.yaml"  # models.train.NOTES: oversampling and the reason
    if notes.exists():
        out.update(yaml.safe_load(notes.read_text()) or {})
    results = run / "results.csv"
    if results.exists():
        rows = [r for r in results.read_text().splitlines() if r.strip()]
        out["epochs_done"] = len(rows) - 1
        header = [h.strip() for h in rows[0].split(",")]
        if "time" in header and len(rows) > 1:
            out["train_hours"] = round(float(rows[-1].split(",")[header.index("time")]) / 3600.0, 2)
    return out

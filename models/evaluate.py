"""`python -m models evaluate`: score the exported ONNX models on the validation splits.

Sets: `real` (the shared val split: waste, dust), `synthetic` (all synthetic val images:
cylinders on real val backgrounds, hard negatives, plumes, synthetic-camera frames) and
`scene` (only the synthetic-camera frames, what the edge's synthetic cameras show). Writes a
JSON report that `models/card.py` turns into the model card, plus example failure images.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from models.field import (
    Scored,
    calibration_half,
    choose_thresholds,
    field_figures,
    precision_curve,
    read_figures,
)
from models.metrics import Accumulator, match
from models.onnx_detect import OnnxDetector, RawDetections
from models.paths import CLASS_NAMES, DATA_DIR, EVAL_JSON, IMGSZ, ONNX_FP32, ONNX_INT8
from models.street import scene_kind as street_kind
from models.street import source_classes
from models.timing import infer_ms, machine

log = logging.getLogger(__name__)
EVAL_CONF = 0.001


def val_images(data_dir: Path) -> dict[str, list[Path]]:
    real = sorted((data_dir / "real" / "images" / "val").glob("*.jpg"))
    synth = sorted((data_dir / "synth" / "images" / "val").glob("*.jpg"))
    return {
        "real": real,
        "synthetic": synth,
        "scene": [p for p in synth if p.name.startswith("scene_")],
        "street": sorted((data_dir / "street" / "images" / "val").glob("*.jpg")),
        "cylinders": sorted((data_dir / "cylinders" / "images" / "val").glob("*.jpg")),
    }


def label_path(image: Path) -> Path:
    parts = list(image.parts)
    idx = len(parts) - 1 - parts[::-1].index("images")
    parts[idx] = "labels"
    return Path(*parts).with_suffix(".txt")


def read_truth(image: Path, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    rows = (
        [r.split() for r in label_path(image).read_text().splitlines() if r.strip()]
        if label_path(image).exists()
        else []
    )
    if not rows:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    arr = np.array([[float(v) for v in r[:5]] for r in rows], np.float32)
    cx, cy, bw, bh = arr[:, 1] * w, arr[:, 2] * h, arr[:, 3] * w, arr[:, 4] * h
    xyxy = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    return xyxy, arr[:, 0].astype(np.int64)


def scene_kind(image: Path, set_name: str) -> str:
    """Street photos: what the source labels show (`models/street.py`); elsewhere the set."""
    if set_name != "street":
        return set_name
    source = image.parent.parent.parent / "source-labels" / image.parent.name / f"{image.stem}.txt"
    return street_kind(source_classes(source.read_text()) if source.exists() else set())


def split_key(image: Path, set_name: str) -> str:
    """The name that decides an image's half: a cylinder composite goes with its street photo."""
    if set_name == "cylinders":
        return image.stem.split("_", 3)[-1]
    return image.name


@dataclass(frozen=True)
class Inferred:
    """One validation image after the detector (detections at the evaluation floor)."""

    path: Path
    size_wh: tuple[int, int]
    det: RawDetections
    gt_xyxy: np.ndarray
    gt_cls: np.ndarray


def class_map(det: OnnxDetector) -> npt.NDArray[np.int64]:
    """The model's class ids -> this project's (an older model may name fewer classes)."""
    names = det.names or dict(enumerate(CLASS_NAMES))
    unknown = [n for n in names.values() if n not in CLASS_NAMES]
    if unknown:
        raise ValueError(f"model classes {unknown} are not among {CLASS_NAMES}")
    return np.array([CLASS_NAMES.index(names[i]) for i in range(len(names))], np.int64)


def infer_set(det: OnnxDetector, images: list[Path]) -> list[Inferred]:
    ids = class_map(det)
    out = []
    for path in images:
        img = cv2.imread(str(path))
        if img is None:
            continue
        h, w = img.shape[:2]
        gt_xyxy, gt_cls = read_truth(path, w, h)
        d = det.detect(img, conf=EVAL_CONF)
        d = RawDetections(d.xyxy, d.confidence, ids[d.class_id])
        out.append(Inferred(path, (w, h), d, gt_xyxy, gt_cls))
    return out


def to_scored(set_name: str, inferred: list[Inferred]) -> list[Scored]:
    nc = len(CLASS_NAMES)
    out = []
    for x in inferred:
        d = x.det
        tp = match(d.xyxy, d.class_id, x.gt_xyxy, x.gt_cls)[:, 0]
        keep = d.confidence >= 0.05
        out.append(
            Scored(
                split_key(x.path, set_name),
                set_name,
                scene_kind(x.path, set_name),
                np.bincount(x.gt_cls, minlength=nc)[:nc],
                d.confidence[keep],
                d.class_id[keep],
                tp[keep],
            )
        )
    return out


def score_set(
    inferred: list[Inferred], thresholds: tuple[float, ...]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per-class figures for one set, and the image-level failures (misses, false alarms)."""
    acc = Accumulator(len(CLASS_NAMES), thresholds)
    failures: list[dict[str, Any]] = []
    for x in inferred:
        d, (w, h) = x.det, x.size_wh
        acc.add(
            d.xyxy, d.confidence, d.class_id, x.gt_xyxy, x.gt_cls, input_scale=IMGSZ / max(h, w)
        )
        for c, name in enumerate(CLASS_NAMES):
            strong = d.confidence[(d.class_id == c)]
            top = float(strong.max()) if len(strong) else 0.0
            has = bool((x.gt_cls == c).any())
            if has and top < thresholds[c]:
                failures.append(
                    {"image": str(x.path), "class": name, "kind": "miss", "top_conf": top}
                )
            elif not has and top >= thresholds[c]:
                failures.append(
                    {"image": str(x.path), "class": name, "kind": "false_alarm", "top_conf": top}
                )
    by_size = {name: acc.recall_by_size(c) for c, name in enumerate(CLASS_NAMES)}
    return {
        "images": len(inferred),
        "per_class": acc.summary(CLASS_NAMES),
        "recall_by_size": by_size,
    }, failures


def save_examples(
    det: OnnxDetector,
    failures: list[dict[str, Any]],
    out_dir: Path,
    thresholds: tuple[float, ...],
    per_kind: int = 2,
) -> list[dict[str, Any]]:
    """Annotated thumbnails of the worst misses and false alarms (truth green, predictions red)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen: list[dict[str, Any]] = []
    for name in CLASS_NAMES:
        for kind in ("miss", "false_alarm"):
            rows = [f for f in failures if f["class"] == name and f["kind"] == kind]
            rows.sort(
                key=lambda f: f["top_conf"],  # misses: the least confident first
                reverse=kind == "false_alarm",
            )
            for i, row in enumerate(rows[:per_kind]):
                img = cv2.imread(row["image"])
                if img is None:
                    continue
                h, w = img.shape[:2]
                gt_xyxy, _gt_cls = read_truth(Path(row["image"]), w, h)
                for b in gt_xyxy.astype(int):
                    cv2.rectangle(
                        img, (int(b[0]), int(b[1])), (int(b[2]), int(b[3])), (0, 200, 0), 2
                    )
                d = det.detect(img, conf=min(thresholds))
                for b, s, c in zip(d.xyxy.astype(int), d.confidence, d.class_id, strict=True):
                    if s < thresholds[int(c)]:
                        continue
                    cv2.rectangle(
                        img, (int(b[0]), int(b[1])), (int(b[2]), int(b[3])), (0, 0, 230), 2
                    )
                    cv2.putText(
                        img,
                        f"{CLASS_NAMES[int(c)]} {s:.2f}",
                        (int(b[0]), max(int(b[1]) - 3, 10)),
                        0,
                        0.45,
                        (0, 0, 230),
                        1,
                    )
                scale = 320.0 / max(h, w)
                thumb = cv2.resize(
                    img, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA
                )
                fname = f"{name}_{kind}_{i}.jpg"
                cv2.imwrite(str(out_dir / fname), thumb, [cv2.IMWRITE_JPEG_QUALITY, 80])
                chosen.append({**row, "file": fname, "image": Path(row["image"]).name})
    return chosen


def evaluate_models(
    models: list[Path] | None = None,
    data_dir: Path = DATA_DIR,
    out: Path = EVAL_JSON,
    conf: float | None = None,
    examples: bool = True,
    thresholds: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Score each ONNX model on each set and write the JSON report to `out`.

    Alert thresholds: `conf` for every class when given, else `thresholds`, else chosen per
    class on the calibration half from each model's own detections (`models/field.py`): an
    int8 file scores differently from its fp32 source, so it gets thresholds of its own.
    `alert_conf` of the report is the first model's.
    """
    models = models or [ONNX_FP32, ONNX_INT8]
    sets = val_images(data_dir)
    report: dict[str, Any] = {
        "imgsz": IMGSZ,
        "eval_conf": EVAL_CONF,
        "nms_iou": 0.5,
        "sets": {k: len(v) for k, v in sets.items()},
        "machine": machine(),
        "models": {},
    }
    chosen = thresholds
    if conf is not None:
        chosen = {n: conf for n in CLASS_NAMES}
    for path in models:
        key = "int8" if "int8" in path.name else "fp32"
        det = OnnxDetector(path, threads=1, iou=0.5)
        t0 = time.perf_counter()
        inferred = {name: infer_set(det, images) for name, images in sets.items()}
        scored = [
            s for name, xs in inferred.items() if name != "scene" for s in to_scored(name, xs)
        ]
        own = chosen
        if own is None:
            own = choose_thresholds(scored, CLASS_NAMES)
            report["thresholds_from"] = "each model's own detections"
        at = tuple(own[n] for n in CLASS_NAMES)
        entry: dict[str, Any] = {"file": path.name, "alert_conf": own, "sets": {}}
        all_failures: list[dict[str, Any]] = []
        for set_name, xs in inferred.items():
            figures, failures = score_set(xs, at)
            entry["sets"][set_name] = figures
            if set_name != "scene":
                all_failures += failures
            log.info("%s %s: %s", key, set_name, json.dumps(figures["per_class"]))
        entry["field"] = field_report(scored, own)
        entry["precision_curve"] = {
            n: precision_curve(
                [s for s in scored if not calibration_half(s.name) and s.set_name != "synthetic"], c
            )
            for c, n in enumerate(CLASS_NAMES)
        }
        entry["infer_ms"] = infer_ms(path, IMGSZ, threads=1)
        entry["eval_s"] = round(time.perf_counter() - t0, 1)
        if examples and key == "fp32":
            entry["failure_examples"] = save_examples(det, all_failures, out.parent / "card", at)
            entry["failure_counts"] = _count(all_failures)
        report["models"][key] = entry
    first: dict[str, Any] = next(iter(report["models"].values()), {})
    report["alert_conf"] = chosen if chosen is not None else first.get("alert_conf")
    report["summary"] = headline(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    return report


def field_report(scored: list[Scored], thresholds: dict[str, float]) -> dict[str, Any]:
    """Image-level figures at the thresholds, on the report half of each set."""
    report_half = [s for s in scored if not calibration_half(s.name)]
    return {
        set_name: read_figures(
            [s for s in report_half if s.set_name == set_name], CLASS_NAMES, thresholds, figures
        )
        for set_name, figures in field_figures(CLASS_NAMES).items()
    }


def _count(failures: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in failures:
        key = f"{f['class']}_{f['kind']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


# mAP50 per class on the sets that state it (cylinders: synthetic and real composites; waste:
# the shared photos and the street photos; dust: smoke photos; overflow: street photos).
HEADLINE: tuple[tuple[str, str], ...] = (
    ("gas_cylinder", "synthetic"),
    ("gas_cylinder", "cylinders"),
    ("waste", "real"),
    ("waste", "street"),
    ("dust", "real"),
    ("overflow", "street"),
)


def headline_key(name: str, set_name: str) -> str:
    return f"{name}@{set_name}"


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """mAP50 per (class, set) of `HEADLINE`, per model, and the int8 drop."""
    out: dict[str, Any] = {}
    for key, entry in report["models"].items():
        out[key] = {
            headline_key(name, set_name): entry["sets"][set_name]["per_class"][name]["map50"]
            for name, set_name in HEADLINE
            if set_name in entry["sets"]
        }
        out[key]["infer_ms"] = entry["infer_ms"]["median"]
    if "fp32" in out and "int8" in out:
        out["int8_map50_drop"] = {
            k: round(out["fp32"][k] - out["int8"][k], 4)
            for k in out["fp32"]
            if k != "infer_ms" and out["fp32"][k] is not None and out["int8"].get(k) is not None
        }
    return out

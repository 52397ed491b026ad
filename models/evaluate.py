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
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from models.metrics import Accumulator
from models.onnx_detect import OnnxDetector
from models.paths import CLASS_NAMES, DATA_DIR, EVAL_JSON, IMGSZ, ONNX_FP32, ONNX_INT8
from models.timing import infer_ms, machine

log = logging.getLogger(__name__)
ALERT_CONF = 0.30  # the confidence an edge rule would alert on; used for image-level figures
EVAL_CONF = 0.001


def val_images(data_dir: Path) -> dict[str, list[Path]]:
    real = sorted((data_dir / "real" / "images" / "val").glob("*.jpg"))
    synth = sorted((data_dir / "synth" / "images" / "val").glob("*.jpg"))
    return {
        "real": real,
        "synthetic": synth,
        "scene": [p for p in synth if p.name.startswith("scene_")],
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


def score_set(
    det: OnnxDetector, images: list[Path], alert_conf: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per-class figures for one set, and the image-level failures (misses, false alarms)."""
    acc = Accumulator(len(CLASS_NAMES), alert_conf)
    failures: list[dict[str, Any]] = []
    for path in images:
        img = cv2.imread(str(path))
        if img is None:
            continue
        h, w = img.shape[:2]
        gt_xyxy, gt_cls = read_truth(path, w, h)
        d = det.detect(img, conf=EVAL_CONF)
        acc.add(d.xyxy, d.confidence, d.class_id, gt_xyxy, gt_cls, input_scale=IMGSZ / max(h, w))
        for c, name in enumerate(CLASS_NAMES):
            strong = d.confidence[(d.class_id == c)]
            top = float(strong.max()) if len(strong) else 0.0
            has = bool((gt_cls == c).any())
            if has and top < alert_conf:
                failures.append(
                    {"image": str(path), "class": name, "kind": "miss", "top_conf": top}
                )
            elif not has and top >= alert_conf:
                failures.append(
                    {"image": str(path), "class": name, "kind": "false_alarm", "top_conf": top}
                )
    by_size = {name: acc.recall_by_size(c) for c, name in enumerate(CLASS_NAMES)}
    return {
        "images": len(images),
        "per_class": acc.summary(CLASS_NAMES),
        "recall_by_size": by_size,
    }, failures


def save_examples(
    det: OnnxDetector, failures: list[dict[str, Any]], out_dir: Path, per_kind: int = 2
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
                d = det.detect(img, conf=ALERT_CONF)
                for b, s, c in zip(d.xyxy.astype(int), d.confidence, d.class_id, strict=True):
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
) -> dict[str, Any]:
    """Score each ONNX model on each set and write the JSON report to `out`."""
    models = models or [ONNX_FP32, ONNX_INT8]
    alert_conf = ALERT_CONF if conf is None else conf
    sets = val_images(data_dir)
    report: dict[str, Any] = {
        "imgsz": IMGSZ,
        "alert_conf": alert_conf,
        "eval_conf": EVAL_CONF,
        "nms_iou": 0.5,
        "sets": {k: len(v) for k, v in sets.items()},
        "machine": machine(),
        "models": {},
    }
    for path in models:
        key = "int8" if "int8" in path.name else "fp32"
        det = OnnxDetector(path, threads=1, iou=0.5)
        t0 = time.perf_counter()
        entry: dict[str, Any] = {"file": path.name, "sets": {}}
        all_failures: list[dict[str, Any]] = []
        for set_name, images in sets.items():
            scored, failures = score_set(det, images, alert_conf)
            entry["sets"][set_name] = scored
            if set_name != "scene":
                all_failures += failures
            log.info("%s %s: %s", key, set_name, json.dumps(scored["per_class"]))
        entry["infer_ms"] = infer_ms(path, IMGSZ, threads=1)
        entry["eval_s"] = round(time.perf_counter() - t0, 1)
        if examples and key == "fp32":
            entry["failure_examples"] = save_examples(det, all_failures, out.parent / "card")
            entry["failure_counts"] = _count(all_failures)
        report["models"][key] = entry
    report["summary"] = headline(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    return report


def _count(failures: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in failures:
        key = f"{f['class']}_{f['kind']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


HEADLINE_SET = {"gas_cylinder": "synthetic", "waste": "real", "dust": "real"}


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """mAP50 per class on the set that states it (cylinders: synthetic; waste, dust: real)."""
    out: dict[str, Any] = {}
    for key, entry in report["models"].items():
        out[key] = {
            name: entry["sets"][set_name]["per_class"][name]["map50"]
            for name, set_name in HEADLINE_SET.items()
        }
        out[key]["infer_ms"] = entry["infer_ms"]["median"]
    if "fp32" in out and "int8" in out:
        out["int8_map50_drop"] = {
            n: round(out["fp32"][n] - out["int8"][n], 4)
            for n in HEADLINE_SET
            if out["fp32"][n] is not None
        }
    return out

"""`python -m models compare-starts`: the pretrained starts against the from-scratch recipe.

Each start (`models/pretrained.py`) trains the same number of epochs on the same seeded
sample of the train images, is exported to fp32 ONNX under `models/work/compare/` and scored
by `evaluate`, each at the alert thresholds it earns on the calibration half (as a shipped
model would be), so the runs differ by their start alone. On this project's 2-core machine the sample is small and the schedule short; the
figures compare starts at equal cost, they do not predict a full run.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from models.paths import DATA_DIR, DATASET_YAML, WORK_DIR

log = logging.getLogger(__name__)

STARTS: tuple[str, ...] = ("yolov5n-coco", "yolo11n-imagenet", "scratch")
COMPARE_DIR = WORK_DIR / "compare"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

# The figures a comparison reports, by (set, class) read from evaluate's per-set tables.
HEADLINE: tuple[tuple[str, str], ...] = (
    ("street", "waste"),
    ("street", "overflow"),
    ("cylinders", "gas_cylinder"),
    ("real", "waste"),
    ("real", "dust"),
    ("synthetic", "gas_cylinder"),
    ("synthetic", "dust"),
)


@dataclass(frozen=True)
class CompareOptions:
    images: int = 1200
    epochs: int = 3
    seed: int = 7
    batch: int = 32
    threads: int = 2
    workers: int = 0
    starts: tuple[str, ...] = STARTS
    data: Path = DATASET_YAML
    out: Path = COMPARE_DIR


def train_images(data: Path) -> list[Path]:
    """Every train image the dataset yaml lists (folders or list files), in a fixed order."""
    spec = yaml.safe_load(data.read_text())
    root = Path(spec.get("path") or data.parent).absolute()
    entries = spec["train"] if isinstance(spec["train"], list) else [spec["train"]]
    found: list[Path] = []
    for entry in entries:
        where = Path(entry) if Path(entry).is_absolute() else root / entry
        if where.is_file():
            found += [Path(line) for line in where.read_text().split() if line]
        else:
            found += sorted(p for p in where.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return found


def sample(images: list[Path], n: int, seed: int) -> list[Path]:
    """A seeded sample of `n` images (all of them when there are fewer), in list order."""
    if n <= 0:
        raise ValueError(f"images must be > 0, got {n}")
    if n >= len(images):
        return list(images)
    picked = set(random.Random(seed).sample(range(len(images)), n))
    return [p for i, p in enumerate(images) if i in picked]


def sample_yaml(opts: CompareOptions) -> Path:
    """A dataset yaml whose train list is the seeded sample; everything else as in `data`."""
    spec = yaml.safe_load(opts.data.read_text())
    chosen = sample(train_images(opts.data), opts.images, opts.seed)
    opts.out.mkdir(parents=True, exist_ok=True)
    listing = opts.out / f"train-{opts.images}-seed{opts.seed}.txt"
    listing.write_text("\n".join(str(p) for p in chosen) + "\n")
    spec["path"] = str(Path(spec.get("path") or opts.data.parent).absolute())
    spec["train"] = [str(listing.resolve())]
    # Ultralytics validates at the end of a run whatever `val` says; its figures are not the
    # comparison's (`evaluate` scores every set), so it gets the smallest val entry only.
    vals = spec["val"] if isinstance(spec["val"], list) else [spec["val"]]
    spec["val"] = vals[:1]
    out = opts.out / f"compare-{opts.images}-seed{opts.seed}.yaml"
    out.write_text(
        f"# {opts.data.name} trained on a seeded sample of {len(chosen)} images "
        "(written by `python -m models compare-starts`).\n" + yaml.safe_dump(spec, sort_keys=False)
    )
    return out


def headline(report: dict[str, Any]) -> dict[str, float | None]:
    """mAP50 per (set, class) of the fp32 model in an evaluate report."""
    sets = report["models"]["fp32"]["sets"]
    out: dict[str, float | None] = {}
    for set_name, cls in HEADLINE:
        per_class = sets.get(set_name, {}).get("per_class", {})
        value = per_class.get(cls, {}).get("map50")
        out[f"{set_name}/{cls}"] = None if value is None else round(float(value), 3)
    return out


def run(opts: CompareOptions) -> dict[str, Any]:
    """Train, export and score every start; write and return the summary."""
    from models.evaluate import evaluate_models
    from models.export import export_fp32
    from models.train import TrainOptions, train

    data = sample_yaml(opts)
    summary: dict[str, Any] = {
        "images": opts.images,
        "epochs": opts.epochs,
        "seed": opts.seed,
        "starts": {},
    }
    for start in opts.starts:
        name = f"cmp-{start}-{opts.images}x{opts.epochs}"
        t0 = time.perf_counter()
        weights = train(
            TrainOptions(
                data=data,
                epochs=opts.epochs,
                batch=opts.batch,
                threads=opts.threads,
                workers=opts.workers,
                start=start,
                run_name=name,
                why=f"compare-starts: {opts.images} images, {opts.epochs} epochs",
            )
        )
        train_s = time.perf_counter() - t0
        onnx = export_fp32(weights, opts.out / f"{name}.onnx")
        report = evaluate_models([onnx], DATA_DIR, opts.out / f"{name}-eval.json", examples=False)
        summary["starts"][start] = {
            "train_s": round(train_s, 1),
            "map50": headline(report),
            "alert_conf": report["alert_conf"],
            "field": report["models"]["fp32"]["field"],
        }
        log.info("%s: %s", start, json.dumps(summary["starts"][start]["map50"]))
    (opts.out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary

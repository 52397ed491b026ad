"""Where things live: the shared real data, the git-ignored work folder, the shipped files."""

from __future__ import annotations

import os
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
REPO_ROOT = MODELS_DIR.parent
WORK_DIR = Path(os.environ.get("GRIDWALL_MODELS_WORK", MODELS_DIR / "work"))
SHARED_DETECT = Path(os.environ.get("GRIDWALL_DETECT_DATA", "/work/shared/data/detect"))
SHARED_STREET = Path(os.environ.get("GRIDWALL_STREET_DATA", SHARED_DETECT.parent / "street"))
SHARED_CYLINDERS = Path(
    os.environ.get("GRIDWALL_CYLINDER_CROPS", SHARED_DETECT.parent / "cylinder_crops" / "images")
)
SHARED_WEIGHTS = Path(
    os.environ.get("GRIDWALL_PRETRAINED", SHARED_DETECT.parent.parent / "weights")
)

CLASS_NAMES: tuple[str, ...] = ("gas_cylinder", "waste", "dust", "overflow")
IMGSZ = 320

DATA_DIR = WORK_DIR / "data"
DATASET_YAML = WORK_DIR / "gridwall-det.yaml"
RUNS_DIR = WORK_DIR / "runs"
RUN_NAME = "det"
EVAL_JSON = WORK_DIR / "eval.json"

ONNX_FP32 = MODELS_DIR / "gridwall-det-320.onnx"
ONNX_INT8 = MODELS_DIR / "gridwall-det-320-int8.onnx"
CHECKSUMS = MODELS_DIR / "SHA256SUMS"
MODEL_CARD = MODELS_DIR / "MODEL_CARD.md"
EVAL_SHIPPED = MODELS_DIR / "eval.json"
EVAL_PREVIOUS = MODELS_DIR / "eval-previous.json"  # the model shipped before, on today's sets
CLASSES_YAML = MODELS_DIR / "classes.yaml"
CARD_IMAGES = MODELS_DIR / "card"

# Validation subsets the evaluate command scores, by folder under DATA_DIR (images/val inside).
VAL_SETS: dict[str, str] = {
    "real": "real",  # the shared val split (waste, dust), through symlinks
    "synthetic": "synth",  # composites on real val backgrounds + synthetic-camera frames
    "street": "street",  # the shared street val split (garbage, overflowing bins, bins)
    "cylinders": "cylinders",  # held-out real cylinder cut-outs in street val photos
}

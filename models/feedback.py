"""`python -m models feedback-export`: operator verdicts on alarms -> a YOLO dataset.

Input: JSON lines, one alarm snapshot per line, as the hub records them::

    {"image": "snapshots/cam-07/0001.jpg", "verdict": "confirmed",
     "boxes": [{"class_name": "waste", "xyxy_norm": [0.41, 0.55, 0.62, 0.80]}]}

`class_name` + `xyxy_norm` may also sit at the top level for a single box. Relative image
paths are resolved against the records file's folder. A confirmed box becomes a label; an
image whose alarms were all rejected becomes a background image (an empty label file), which
teaches the model what to leave alone at that site. The output has the same layout as the
training data, so `python -m models train --data <out>/data.yaml --weights
models/gridwall-det-320.pt` fine-tunes on it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.paths import CLASS_NAMES


class FeedbackError(ValueError):
    """A feedback record that cannot be used; the message names the line and the bad value."""


class FeedbackBox(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    class_name: Literal["gas_cylinder", "waste", "dust"]
    xyxy_norm: tuple[float, float, float, float]

    @model_validator(mode="after")
    def _check(self) -> FeedbackBox:
        x0, y0, x1, y1 = self.xyxy_norm
        if not (0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0):
            raise ValueError(
                f"xyxy_norm must satisfy 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1, got {self.xyxy_norm}"
            )
        return self


class FeedbackRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    image: str
    verdict: Literal["confirmed", "rejected"]
    boxes: tuple[FeedbackBox, ...] = Field(default=())
    class_name: Literal["gas_cylinder", "waste", "dust"] | None = None
    xyxy_norm: tuple[float, float, float, float] | None = None

    def all_boxes(self) -> tuple[FeedbackBox, ...]:
        if self.class_name is not None and self.xyxy_norm is not None:
            return (*self.boxes, FeedbackBox(class_name=self.class_name, xyxy_norm=self.xyxy_norm))
        return self.boxes


def read_records(path: Path) -> list[FeedbackRecord]:
    records = []
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(FeedbackRecord.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise FeedbackError(f"{path}:{n}: {exc}") from exc
    return records


def _split(image: Path, val_fraction: float, seed: int) -> str:
    digest = hashlib.sha256(f"{seed}:{image.name}".encode()).digest()
    return "val" if digest[0] / 256.0 < val_fraction else "train"


def export_feedback(
    records_path: Path, out: Path, val_fraction: float = 0.2, seed: int = 0
) -> dict[str, int]:
    """Write `out/{images,labels}/{train,val}` and `out/data.yaml`; return counts."""
    records = read_records(records_path)
    confirmed: dict[Path, list[FeedbackBox]] = defaultdict(list)
    seen: list[Path] = []
    for rec in records:
        image = Path(rec.image)
        image = image if image.is_absolute() else (records_path.parent / image).resolve()
        if not image.exists():
            raise FeedbackError(
                f"{records_path}: image {rec.image!r} not found (looked at {image})"
            )
        if image not in seen:
            seen.append(image)
        if rec.verdict == "confirmed":
            boxes = rec.all_boxes()
            if not boxes:
                raise FeedbackError(
                    f"{records_path}: confirmed record for {rec.image!r} has no box"
                )
            confirmed[image].extend(boxes)
    counts = {"images": 0, "positives": 0, "negatives": 0, "boxes": 0, "train": 0, "val": 0}
    for split in ("train", "val"):
        for kind in ("images", "labels"):
            (out / kind / split).mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(seen):
        split = _split(image, val_fraction, seed)
        stem = f"fb_{i:05d}_{image.stem}"
        shutil.copyfile(image, out / "images" / split / f"{stem}{image.suffix.lower()}")
        rows = []
        for b in confirmed.get(image, []):
            x0, y0, x1, y1 = b.xyxy_norm
            rows.append(
                f"{CLASS_NAMES.index(b.class_name)} {(x0 + x1) / 2:.6f} {(y0 + y1) / 2:.6f} {x1 - x0:.6f} {y1 - y0:.6f}"
            )
        (out / "labels" / split / f"{stem}.txt").write_text("".join(r + "\n" for r in rows))
        counts["images"] += 1
        counts["positives" if rows else "negatives"] += 1
        counts["boxes"] += len(rows)
        counts[split] += 1
    spec = {
        "path": str(out.resolve()),
        "train": "images/train",
        "val": "images/val",
        "names": dict(enumerate(CLASS_NAMES)),
    }
    (out / "data.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return counts

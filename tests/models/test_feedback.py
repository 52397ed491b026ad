"""Operator verdicts become a YOLO dataset: confirmed -> labels, rejected -> background."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from models.feedback import FeedbackError, export_feedback


def _records(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    snaps = tmp_path / "snaps"
    snaps.mkdir(exist_ok=True)
    for i in range(4):
        cv2.imwrite(str(snaps / f"a{i}.jpg"), np.full((36, 64, 3), 40 * i, np.uint8))
    path = tmp_path / "feedback.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_export_layout_and_labels(tmp_path: Path) -> None:
    path = _records(
        tmp_path,
        [
            {
                "image": "snaps/a0.jpg",
                "verdict": "confirmed",
                "boxes": [{"class_name": "waste", "xyxy_norm": [0.1, 0.2, 0.5, 0.6]}],
            },
            {
                "image": "snaps/a0.jpg",
                "verdict": "confirmed",
                "class_name": "gas_cylinder",
                "xyxy_norm": [0.6, 0.5, 0.7, 0.9],
            },
            {
                "image": "snaps/a1.jpg",
                "verdict": "rejected",
                "class_name": "dust",
                "xyxy_norm": [0.0, 0.0, 1.0, 1.0],
            },
            {"image": str(tmp_path / "snaps" / "a2.jpg"), "verdict": "rejected", "boxes": []},
        ],
    )
    out = tmp_path / "ds"
    counts = export_feedback(path, out, val_fraction=0.0)
    assert counts == {"images": 3, "positives": 1, "negatives": 2, "boxes": 2, "train": 3, "val": 0}
    labels = sorted((out / "labels" / "train").glob("*.txt"))
    assert [p.read_text().count("\n") for p in labels] == [2, 0, 0]
    first = labels[0].read_text().splitlines()
    assert first[0].split() == ["1", "0.300000", "0.400000", "0.400000", "0.400000"]
    assert first[1].split()[0] == "0"
    assert len(list((out / "images" / "train").glob("*.jpg"))) == 3
    spec = yaml.safe_load((out / "data.yaml").read_text())
    assert spec["names"] == {0: "gas_cylinder", 1: "waste", 2: "dust", 3: "overflow"}
    assert spec["train"] == "images/train"


def test_split_is_deterministic(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"image": f"snaps/a{i}.jpg", "verdict": "rejected"} for i in range(4)
    ]
    path = _records(tmp_path, rows)
    a = export_feedback(path, tmp_path / "x", val_fraction=0.5, seed=1)
    b = export_feedback(path, tmp_path / "y", val_fraction=0.5, seed=1)
    assert a == b and a["train"] + a["val"] == 4


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"image": "snaps/a0.jpg", "verdict": "maybe"}, "feedback.jsonl:1"),
        (
            {
                "image": "snaps/a0.jpg",
                "verdict": "confirmed",
                "class_name": "cat",
                "xyxy_norm": [0, 0, 1, 1],
            },
            "class_name",
        ),
        (
            {
                "image": "snaps/a0.jpg",
                "verdict": "confirmed",
                "boxes": [{"class_name": "waste", "xyxy_norm": [0.5, 0, 0.4, 1]}],
            },
            "xyxy_norm",
        ),
        ({"image": "snaps/missing.jpg", "verdict": "rejected"}, "not found"),
        ({"image": "snaps/a0.jpg", "verdict": "confirmed"}, "has no box"),
    ],
)
def test_bad_records_name_the_problem(tmp_path: Path, row: dict[str, object], message: str) -> None:
    with pytest.raises(FeedbackError, match=message):
        export_feedback(_records(tmp_path, [row]), tmp_path / "ds")

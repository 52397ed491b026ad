"""The real-scene sets of `python -m models generate`: street photos and real cylinders in them.

Layout under `models/work/data/`:
- `street/{images,labels,source-labels}/{train,val}`: the shared street photos (linked), their
  labels under the detector's classes (`models/street.py`), the source labels (linked).
- `cylinders/{images,labels}/{train,val}`: real cylinder cut-outs pasted into street photos.
  Train composites use the train crops on street train photos; val composites use held-out
  crops (whole near-duplicate groups, never trained on) on street val photos (never trained
  on). Every val composite holds cylinders; street val photos alone are its clean negatives.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import cv2
import numpy as np

from models.composite import Label, read_boxes, write_sample
from models.cutouts import Cutout, canonical_hash, cut_out, group_near_duplicates, held_out
from models.cylinder_scenes import cctv, group_size, paste_group
from models.street import SOURCE_NAMES, link_street

log = logging.getLogger(__name__)
HELD_OUT_SHARE = 0.2


def split_cutouts(
    crops: Path, seed: int, limit: int | None = None
) -> tuple[list[Cutout], list[Cutout]]:
    """(train, held-out) cut-outs; near-duplicate crops stay on one side."""
    paths = sorted(crops.glob("*.jpg"))[:limit]
    images = [cv2.imread(str(p)) for p in paths]
    kept = [
        (p, np.asarray(im, np.uint8)) for p, im in zip(paths, images, strict=True) if im is not None
    ]
    groups = group_near_duplicates([canonical_hash(im) for _, im in kept])
    out = held_out(groups, HELD_OUT_SHARE, seed)
    train: list[Cutout] = []
    test: list[Cutout] = []
    for (p, im), g in zip(kept, groups, strict=True):
        (test if g in out else train).append(cut_out(im, p.stem))
    log.info(
        "cylinder crops: %d train, %d held out (%d near-duplicate groups)",
        len(train),
        len(test),
        len(set(groups)),
    )
    return train, test


def _street_labels(
    street: Path, split: str, stem: str, w: int, h: int
) -> tuple[list[Label], list[tuple[float, float, float, float]]]:
    """The detector labels of a street photo, and its bins' boxes (for scale)."""
    rows = (street / "labels" / split / f"{stem}.txt").read_text().split("\n")
    labels: list[Label] = []
    for r in rows:
        p = r.split()
        if len(p) >= 5:
            cx, cy, bw, bh = (float(v) for v in p[1:5])
            labels.append(
                (
                    int(p[0]),
                    (cx - bw / 2) * w,
                    (cy - bh / 2) * h,
                    (cx + bw / 2) * w,
                    (cy + bh / 2) * h,
                )
            )
    src = street / "source-labels" / split / f"{stem}.txt"
    bin_id = SOURCE_NAMES.index("garbage_bin")
    bins = [
        b
        for b, r in zip(
            read_boxes(src, w, h),
            [x for x in src.read_text().splitlines() if len(x.split()) >= 5],
            strict=True,
        )
        if int(r.split()[0]) == bin_id
    ]
    return labels, bins


def cylinder_composites(
    data_dir: Path, cutouts: list[Cutout], split: str, count: int, cylinder_id: int, seed: int
) -> int:
    street = data_dir / "street"
    photos = sorted((street / "images" / split).glob("*.jpg"))
    out_img, out_lbl = (
        data_dir / "cylinders" / "images" / split,
        data_dir / "cylinders" / "labels" / split,
    )
    for d in (out_img, out_lbl):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(photos))
    written = 0
    for i in range(count):
        path = photos[int(order[i % len(photos)])]
        img = cv2.imread(str(path))
        if img is None:
            continue
        h, w = img.shape[:2]
        labels, bins = _street_labels(street, split, path.stem, w, h)
        boxes = paste_group(
            img, cutouts, bins, rng, group_size(rng), avoid=[lb[1:] for lb in labels] + bins
        )
        if not boxes:
            continue
        labels += [(cylinder_id, *b) for b in boxes]
        write_sample(out_img, out_lbl, f"cyl_{split}_{i:05d}_{path.stem}", cctv(img, rng), labels)
        written += 1
    return written


def generate_real(
    data_dir: Path,
    street_shared: Path,
    crops: Path,
    class_names: tuple[str, ...],
    counts: dict[str, int],
    seed: int,
) -> list[str]:
    """Write the street and cylinder sets; return their train folders for the dataset yaml."""
    photos = link_street(data_dir, street_shared, class_names)
    log.info("street photos: %s", photos)
    train_cuts, test_cuts = split_cutouts(crops, seed, 100 if counts["train"] < 100 else None)
    cyl = class_names.index("gas_cylinder")
    for k, (split, cuts) in enumerate((("train", train_cuts), ("val", test_cuts))):
        n = cylinder_composites(data_dir, cuts, split, counts[split], cyl, seed + 7 * k)
        log.info("cylinders/%s: %d composites", split, n)
    return ["street/images/train", "cylinders/images/train"]

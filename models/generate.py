"""`python -m models generate`: synthetic sets plus a dataset yaml that mixes in the real data.

Layout under `models/work/data/`:
- `real/{images,labels}/{train,val}`: symlinks to the shared data (read in place, not copied;
  the links keep Ultralytics' label cache out of the shared folder).
- `synth/{images,labels}/{train,val}`: `cyl_*` cylinders on label-free crops of real photos
  (train crops from the train split, val crops from the val split), `neg_*` hard negatives
  only, `dust_*` plumes, `scene_*` frames of `edge.synth` cameras with their ground truth.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from edge.synth import SceneScript, SyntheticScene
from edge.synth.background import render_background
from models.composite import (
    ImageU8,
    Label,
    collect_backgrounds,
    cylinder_scene,
    dust_scene,
    perspective,
    photometric,
    write_sample,
)
from models.generate_real import generate_real
from models.paths import (
    CLASS_NAMES,
    DATA_DIR,
    DATASET_YAML,
    SHARED_CYLINDERS,
    SHARED_DETECT,
    SHARED_STREET,
)

log = logging.getLogger(__name__)
TARGET_IDS = {name: i for i, name in enumerate(CLASS_NAMES)}


@dataclass(frozen=True)
class SplitCounts:
    cylinders: int
    negatives: int
    dust: int
    scenes: int
    frames_per_scene: int = 8


COUNTS = {"train": SplitCounts(700, 120, 200, 60), "val": SplitCounts(150, 40, 50, 20)}
SMALL = {"train": SplitCounts(60, 10, 20, 6), "val": SplitCounts(20, 6, 8, 3)}
# real cylinder cut-outs pasted into street photos, per split
CYLINDER_COMPOSITES = {"train": 1600, "val": 300}
CYLINDER_COMPOSITES_SMALL = {"train": 30, "val": 10}


def link_real(data_dir: Path, shared: Path) -> None:
    for kind in ("images", "labels"):
        for split in ("train", "val"):
            link = data_dir / "real" / kind / split
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(shared / kind / split, target_is_directory=True)


def random_script(rng: np.random.Generator) -> dict[str, Any]:
    """A 60 s script with targets in separate thirds of the frame and distractors."""
    background = "site" if rng.random() < 0.5 else "street"
    thirds = list(rng.permutation(3))

    def region(third: int, width: float, height: float) -> tuple[float, float, float, float]:
        x0 = third / 3 + rng.uniform(0.0, max(1 / 3 - width, 0.01))
        y1 = rng.uniform(0.62, 0.97)
        return (round(x0, 3), round(y1 - height, 3), round(min(x0 + width, 1.0), 3), round(y1, 3))

    eps: list[dict[str, Any]] = [
        {
            "kind": "gas_cylinder_stack",
            "start_s": float(rng.uniform(0, 8)),
            "end_s": float(rng.uniform(30, 58)),
            "region_norm": region(thirds[0], 0.25, 0.2),
            "count": int(rng.integers(1, 7)),
            "stacked": bool(rng.random() < 0.35),
            "lying": bool(rng.random() < 0.2),
        },
        {
            "kind": "waste_dump",
            "start_s": float(rng.uniform(0, 15)),
            "end_s": float(rng.uniform(35, 60)),
            "region_norm": region(thirds[1], 0.22, 0.2),
            "pile": bool(rng.random() < 0.5),
        },
        {
            "kind": "distractor_walkers",
            "start_s": 0.0,
            "end_s": 60.0,
            "walkers": int(rng.integers(2, 7)),
        },
        {"kind": "distractor_vehicle", "start_s": float(rng.uniform(0, 40)), "end_s": 0.0},
    ]
    eps[3]["end_s"] = eps[3]["start_s"] + float(rng.uniform(4, 15))
    if background == "site" or rng.random() < 0.3:
        x0 = thirds[2] / 3
        eps.append(
            {
                "kind": "dust_plume",
                "start_s": float(rng.uniform(0, 10)),
                "end_s": float(rng.uniform(40, 60)),
                "region_norm": (
                    round(x0, 3),
                    round(rng.uniform(0.1, 0.35), 3),
                    round(x0 + 1 / 3, 3),
                    round(rng.uniform(0.7, 0.95), 3),
                ),
            }
        )
    if rng.random() < 0.5:
        start = float(rng.uniform(0, 40))
        eps.append(
            {
                "kind": "lighting_change",
                "start_s": start,
                "end_s": start + 15.0,
                "gain": float(rng.uniform(0.45, 0.8)),
            }
        )
    return {"background": background, "duration_s": 60.0, "loop": False, "episodes": eps}


def scene_frames(out_img: Path, out_lbl: Path, split: str, counts: SplitCounts, seed: int) -> int:
    rng = np.random.default_rng(seed)
    n = 0
    for k in range(counts.scenes):
        script = SceneScript.from_dict(random_script(rng))
        scene = SyntheticScene(
            script,
            resolution_wh=(640, 360),
            seed=seed * 10_000 + k,
            noise_sigma=float(rng.uniform(1, 5)),
        )
        for t in np.sort(rng.uniform(0.0, 60.0, size=counts.frames_per_scene)):
            frame = scene.render_at(float(t), n)
            labels: list[Label] = []
            for b in frame.truth:
                x0, y0, x1, y1 = (float(v) for v in b.xyxy)
                labels.append((TARGET_IDS[b.class_name], x0, y0, x1, y1))
            write_sample(out_img, out_lbl, f"scene_{split}_{k:03d}_{n:05d}", frame.image, labels)
            n += 1
    return n


def emit(
    out_img: Path,
    out_lbl: Path,
    name: str,
    rng: np.random.Generator,
    img: ImageU8,
    labels: list[Label],
) -> None:
    """Augment (perspective sometimes, photometric always) and write one sample."""
    if rng.random() < 0.4:
        img, labels = perspective(img, labels, rng)
    write_sample(out_img, out_lbl, name, photometric(img, rng), labels)


def generate(
    data_dir: Path = DATA_DIR,
    shared: Path = SHARED_DETECT,
    small: bool = False,
    street: Path = SHARED_STREET,
    crops: Path = SHARED_CYLINDERS,
    seed: int = 20261123,
) -> Path:
    """Write all synthetic sets and the dataset yaml; return the yaml path."""
    link_real(data_dir, shared)
    table = SMALL if small else COUNTS
    for split_i, split in enumerate(("train", "val")):
        counts = table[split]
        rng = np.random.default_rng(seed + split_i)
        out_img, out_lbl = (
            data_dir / "synth" / "images" / split,
            data_dir / "synth" / "labels" / split,
        )
        for d in (out_img, out_lbl):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
        bgs = collect_backgrounds(
            shared / "images" / split,
            shared / "labels" / split,
            400 if split == "train" else 80,
            rng,
        )
        log.info("%s: %d label-free background crops", split, len(bgs))

        for i in range(counts.cylinders):
            emit(
                out_img,
                out_lbl,
                f"cyl_{split}_{i:05d}",
                rng,
                *cylinder_scene(bgs[int(rng.integers(0, len(bgs)))], rng),
            )
        for i in range(counts.negatives):
            emit(
                out_img,
                out_lbl,
                f"neg_{split}_{i:05d}",
                rng,
                *cylinder_scene(bgs[int(rng.integers(0, len(bgs)))], rng, negatives_only=True),
            )
        for i in range(counts.dust):
            if rng.random() < 0.5:
                bg = bgs[int(rng.integers(0, len(bgs)))]
            else:
                bg = render_background("site", (480, 320), int(rng.integers(0, 1 << 30))).astype(
                    np.uint8
                )
            emit(out_img, out_lbl, f"dust_{split}_{i:05d}", rng, *dust_scene(bg, rng))
        frames = scene_frames(out_img, out_lbl, split, counts, seed * 3 + split_i)
        log.info(
            "%s: %d cylinder, %d negative, %d dust images, %d scene frames",
            split,
            counts.cylinders,
            counts.negatives,
            counts.dust,
            frames,
        )
    real_train = generate_real(
        data_dir,
        street,
        crops,
        CLASS_NAMES,
        CYLINDER_COMPOSITES_SMALL if small else CYLINDER_COMPOSITES,
        seed,
    )
    spec = {
        "path": str(data_dir.resolve()),
        "train": ["real/images/train", "synth/images/train", *real_train],
        "val": ["real/images/val", "synth/images/val", "street/images/val", "cylinders/images/val"],
        "names": dict(enumerate(CLASS_NAMES)),
    }
    yaml_path = data_dir.parent / DATASET_YAML.name
    header = f"# Generated by `python -m models generate`. real/ links to {shared} (CC BY 4.0, see its ATTRIBUTION.md).\n"
    yaml_path.write_text(header + yaml.safe_dump(spec, sort_keys=False))
    return yaml_path

"""Pretrained starting points: a detector built from an Ultralytics yaml, filled from `weights/`.

`python -m models pretrained {yolov5n-coco,yolo11n-imagenet} OUT.pt` writes a checkpoint that
`python -m models train --weights OUT.pt` trains from (Ultralytics rebuilds a model from its yaml
and drops weights loaded beforehand; from a saved checkpoint it transfers them).

- `yolov5n-coco`: Ultralytics' anchor-free YOLOv5n (`yolov5n.yaml`), its backbone and neck
  (layers 0-23) from the COCO-trained YOLOv5n tensors; only the new Detect head learns from
  nothing.
- `yolo11n-imagenet`: YOLO11n (`yolo11n.yaml`) with layers 0-8 and its C2PSA (layer 10) from the
  ImageNet-trained YOLO26n-cls backbone (whose C2PSA is layer 9), SPPF and the head fresh.
- `scratch`: YOLOv8n from its yaml, the recipe before pretrained starts (for comparison).

torch and ultralytics are imported inside the functions only (the `train` extra).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from models.paths import CLASS_NAMES, SHARED_WEIGHTS

log = logging.getLogger(__name__)

STARTS: dict[str, tuple[str, str | None]] = {
    # name: (Ultralytics model yaml, npz file under weights/)
    "yolov5n-coco": ("yolov5n.yaml", "yolov5n-coco-statedict-fp16.npz"),
    "yolo11n-imagenet": ("yolo11n.yaml", "yolo26n-imagenet-backbone-L0-9-fp16.npz"),
    "scratch": ("yolov8n.yaml", None),
}


def renamed(name: str, key: str) -> str | None:
    """The detector's tensor name for a pretrained tensor, or None to leave it out.

    The YOLO26n-cls backbone's C2PSA is its layer 9; in the detector it is layer 10 (SPPF
    sits at 9). The YOLOv5n Detect head (layer 24) has COCO's 80 classes and anchors: left out.
    """
    if name == "yolo11n-imagenet" and key.startswith("model.9."):
        return "model.10." + key[len("model.9.") :]
    if name == "yolov5n-coco" and key.startswith("model.24."):
        return None
    return key


def transferable(
    name: str,
    pretrained: Mapping[str, tuple[int, ...]],
    target: Mapping[str, tuple[int, ...]],
) -> tuple[dict[str, str], list[str]]:
    """Which pretrained tensors fill which detector tensors (by renamed key, same shape), and
    the pretrained keys that found no place (a mismatch to report, not to hide)."""
    plan: dict[str, str] = {}
    unplaced: list[str] = []
    for key, shape in pretrained.items():
        new = renamed(name, key)
        if new is None:
            continue
        if new in target and tuple(target[new]) == tuple(shape):
            plan[new] = key
        else:
            unplaced.append(key)
    return plan, unplaced


def load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k != "__meta__"}


def build(name: str, weights_dir: Path = SHARED_WEIGHTS, nc: int = len(CLASS_NAMES)) -> Any:
    """A DetectionModel for `nc` classes with the pretrained tensors of `name` loaded."""
    import torch
    from ultralytics.nn.tasks import DetectionModel

    if name not in STARTS:
        raise ValueError(f"unknown start {name!r}; choose one of {sorted(STARTS)}")
    cfg, npz = STARTS[name]
    model = DetectionModel(cfg, nc=nc, verbose=False)
    if npz is None:
        return model
    source = weights_dir / npz
    if not source.is_file():
        raise FileNotFoundError(
            f"pretrained weights {source} not found (see shared/weights/README.md)"
        )
    arrays = load_npz(source)
    state = model.state_dict()
    plan, unplaced = transferable(
        name, {k: v.shape for k, v in arrays.items()}, {k: tuple(v.shape) for k, v in state.items()}
    )
    if unplaced:
        raise ValueError(f"{source.name}: {len(unplaced)} tensors fit nowhere, e.g. {unplaced[:3]}")
    for new, key in plan.items():
        state[new] = torch.from_numpy(arrays[key].astype(np.float32))
    model.load_state_dict(state)
    log.info("%s: %d of %d detector tensors from %s", name, len(plan), len(state), source.name)
    return model


def write_start(name: str, out: Path, weights_dir: Path = SHARED_WEIGHTS) -> Path:
    """Save the prepared model as a checkpoint Ultralytics trains from (`--weights OUT`)."""
    import torch

    model = build(name, weights_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model, "train_args": {}, "gridwall_start": name}, out)
    return out

"""`python -m models train`: YOLOv8n from its yaml at 320 px, resumable, GPU when present.

torch and ultralytics are imported here only (the `train` extra), never by the edge or hub.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from models.paths import DATASET_YAML, IMGSZ, RUN_NAME, RUNS_DIR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    data: Path = DATASET_YAML
    epochs: int = 30
    batch: int = 16
    threads: int = 1
    workers: int = 1
    fraction: float = 1.0
    fresh: bool = False
    weights: Path | None = None  # fine-tune from these (e.g. the shipped .pt) instead of scratch
    run_name: str = RUN_NAME
    patience: int = 100
    hours: float | None = None  # wall-clock budget: Ultralytics fits the schedule into it


def run_dir(name: str = RUN_NAME) -> Path:
    return RUNS_DIR / name


def train(opts: TrainOptions) -> Path:
    """Train (or resume) and return the path of the final weights."""
    import torch
    from ultralytics import YOLO

    torch.set_num_threads(max(opts.threads, 1))
    device = "0" if torch.cuda.is_available() else "cpu"
    last = run_dir(opts.run_name) / "weights" / "last.pt"
    if last.exists() and not opts.fresh:
        log.info("resuming from %s on %s", last, device)
        model = YOLO(str(last))
        try:
            model.train(resume=True, device=device, workers=opts.workers)
        except (AssertionError, FileNotFoundError) as exc:  # finished runs cannot resume
            log.info("nothing to resume (%s)", exc)
        return _best(opts.run_name)
    if not opts.data.exists():
        raise FileNotFoundError(
            f"dataset yaml {opts.data} not found: run `python -m models generate` first"
        )
    start = str(opts.weights) if opts.weights else "yolov8n.yaml"
    log.info(
        "training %s from %s on %s, %d epochs at %d px",
        opts.run_name,
        start,
        device,
        opts.epochs,
        IMGSZ,
    )
    model = YOLO(start)
    model.train(
        data=str(opts.data),
        epochs=opts.epochs,
        imgsz=IMGSZ,
        batch=opts.batch,
        device=device,
        workers=opts.workers,
        project=str(RUNS_DIR),
        name=opts.run_name,
        exist_ok=True,
        pretrained=bool(opts.weights),
        fraction=opts.fraction,
        cache="ram",
        val=False,  # scored afterwards by `python -m models evaluate`; saves CPU time per epoch
        plots=False,
        patience=opts.patience,
        nbs=opts.batch,  # one optimiser step per batch: few images, many steps
        **({"time": opts.hours} if opts.hours else {}),
        close_mosaic=max(opts.epochs // 6, 1),
        # Fine-tuning (from --weights): no warm-up burst, no mosaic (it shrinks small objects).
        warmup_epochs=0.0 if opts.weights else 3.0,
        mosaic=0.0 if opts.weights else 1.0,
        seed=0,
        deterministic=False,
        amp=device != "cpu",
        verbose=True,
    )
    return _best(opts.run_name)


def _best(name: str) -> Path:
    weights = run_dir(name) / "weights"
    # Training does not validate per epoch (CPU time), so best.pt is not chosen on merit:
    # the final weights are the model.
    for candidate in (weights / "last.pt", weights / "best.pt"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no weights under {weights}")

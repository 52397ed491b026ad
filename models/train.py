"""`python -m models train`: YOLOv8n from its yaml at 320 px, resumable, GPU when present.

torch and ultralytics are imported here only (the `train` extra), never by the edge or hub.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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
    start: str | None = None  # a pretrained start from `models/pretrained.py` (e.g. yolov5n-coco)
    run_name: str = RUN_NAME
    patience: int = 100
    hours: float | None = None  # wall-clock budget: Ultralytics fits the schedule into it
    repeat_real: int = 1  # list the real train split this many times (oversample waste/dust)
    # real train images holding one of these classes are listed this many times instead
    repeat_class: tuple[tuple[str, int], ...] = ()
    # synthetic train images of these kinds (file name prefix: cyl, neg, dust, scene) listed N times
    repeat_synth: tuple[tuple[str, int], ...] = ()
    save_period: int = -1  # keep epoch<N>.pt every N epochs (-1: only last.pt)
    optimizer: str = "auto"  # Ultralytics name; "auto" picks AdamW at a small lr for short runs
    lr0: float | None = None  # initial learning rate (None: Ultralytics' default for optimizer)
    why: str = ""  # the reason for these settings, shown in the model card's training table


def run_dir(name: str = RUN_NAME) -> Path:
    return RUNS_DIR / name


NOTES = "gridwall.yaml"  # beside Ultralytics' args.yaml: what Ultralytics does not record


def write_notes(opts: TrainOptions) -> Path:
    """Record the settings Ultralytics does not keep (oversampling, the reason) in the run."""
    out = run_dir(opts.run_name) / NOTES
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        yaml.safe_dump(
            {
                "repeat_real": opts.repeat_real,
                **({"repeat_class": dict(opts.repeat_class)} if opts.repeat_class else {}),
                **({"repeat_synth": dict(opts.repeat_synth)} if opts.repeat_synth else {}),
                "threads": opts.threads,
                **({"start": opts.start} if opts.start else {}),
                "why": opts.why,
            },
            sort_keys=False,
        )
    )
    return out


def _train_entries(spec: dict[str, Any], data: Path) -> tuple[list[Any], list[Any]]:
    """The dataset yaml's train entries, and those of them that are the real split."""
    train = spec["train"] if isinstance(spec["train"], list) else [spec["train"]]
    real = [t for t in train if str(t).startswith("real/")]
    if not real:
        raise ValueError(f"{data}: no real/ entry in train {train!r} to oversample")
    return train, real


def oversampled_yaml(data: Path, repeat_real: int, run_name: str) -> Path:
    """A copy of the dataset yaml whose train list holds the real split `repeat_real` times.

    Ultralytics keeps duplicate image paths, so each real image is seen that many times per
    epoch: the real waste and dust photos weigh more against the synthetic sets.
    """
    if repeat_real < 1:
        raise ValueError(f"repeat_real must be >= 1, got {repeat_real}")
    spec = yaml.safe_load(data.read_text())
    train, real = _train_entries(spec, data)
    spec["train"] = real * repeat_real + [t for t in train if t not in real]
    out = data.parent / f"{data.stem}-{run_name}-real{repeat_real}.yaml"
    out.write_text(
        f"# {data.name} with the real train split listed {repeat_real} times "
        f"(written by `python -m models train --repeat-real`).\n"
        + yaml.safe_dump(spec, sort_keys=False)
    )
    return out


def _class_ids(
    spec: dict[str, object], repeat_class: tuple[tuple[str, int], ...]
) -> dict[int, int]:
    names = spec.get("names")
    ids = {str(v): int(k) for k, v in names.items()} if isinstance(names, dict) else {}
    out: dict[int, int] = {}
    for name, times in repeat_class:
        if name not in ids:
            raise ValueError(f"repeat_class: unknown class {name!r} (classes: {sorted(ids)})")
        if times < 1:
            raise ValueError(f"repeat_class: {name}={times} must be >= 1")
        out[ids[name]] = times
    return out


def image_repeats(labels: Path, repeat_real: int, by_class: dict[int, int]) -> dict[str, int]:
    """How many times each real train image (by label stem) is listed: the most any of its
    classes asks for, and at least `repeat_real`."""
    out: dict[str, int] = {}
    for label in sorted(labels.glob("*.txt")):
        classes = {int(row.split()[0]) for row in label.read_text().splitlines() if row.strip()}
        out[label.stem] = max([repeat_real, *(by_class.get(c, 0) for c in classes)])
    return out


def class_oversampled_yaml(
    data: Path, repeat_real: int, repeat_class: tuple[tuple[str, int], ...], run_name: str
) -> Path:
    """A dataset yaml whose real train split is an image list, each real image listed as often
    as its classes ask (`--repeat-class dust=4`): one class weighs more without the others."""
    if repeat_real < 1:
        raise ValueError(f"repeat_real must be >= 1, got {repeat_real}")
    spec = yaml.safe_load(data.read_text())
    by_class = _class_ids(spec, repeat_class)
    train, real = _train_entries(spec, data)
    root = Path(spec.get("path") or data.parent).absolute()  # absolute, symlinks kept
    listed: list[str] = []
    for entry in real:
        images = root / entry
        labels = root / str(entry).replace("images", "labels", 1)
        stems = image_repeats(labels, repeat_real, by_class)
        for image in sorted(p for p in images.iterdir() if p.stem in stems):
            listed += [str(image)] * stems[image.stem]
    out_list = data.parent / f"{data.stem}-{run_name}-real.txt"
    out_list.write_text("\n".join(listed) + "\n")
    spec["train"] = [str(out_list.resolve())] + [t for t in train if t not in real]
    out = data.parent / f"{data.stem}-{run_name}-real-by-class.yaml"
    wanted = ", ".join(f"{n}={t}" for n, t in repeat_class)
    out.write_text(
        f"# {data.name} with real train images listed {repeat_real} times, or more where they hold"
        f" {wanted} (written by `python -m models train --repeat-class`).\n"
        + yaml.safe_dump(spec, sort_keys=False)
    )
    return out


def synth_kind(stem: str) -> str:
    """A synthetic image's kind: its file name up to the first underscore (`dust_train_00012`)."""
    return stem.partition("_")[0]


def synth_oversampled_yaml(
    data: Path, repeat_synth: tuple[tuple[str, int], ...], run_name: str
) -> Path:
    """A dataset yaml whose synthetic train split is an image list, the images of each kind
    in `repeat_synth` (`--repeat-synth dust=4`) listed that many times, the rest once."""
    spec = yaml.safe_load(data.read_text())
    train = spec["train"] if isinstance(spec["train"], list) else [spec["train"]]
    synth = [t for t in train if str(t).startswith("synth/")]
    if not synth:
        raise ValueError(f"{data}: no synth/ entry in train {train!r} to oversample")
    root = Path(spec.get("path") or data.parent).absolute()
    images = sorted(p for entry in synth for p in (root / entry).iterdir() if p.is_file())
    kinds = {synth_kind(p.stem) for p in images}
    times = dict(repeat_synth)
    for kind, n in repeat_synth:
        if kind not in kinds:
            raise ValueError(f"repeat_synth: unknown kind {kind!r} (kinds: {sorted(kinds)})")
        if n < 1:
            raise ValueError(f"repeat_synth: {kind}={n} must be >= 1")
    listed = [str(p) for p in images for _ in range(times.get(synth_kind(p.stem), 1))]
    out_list = data.parent / f"{data.stem}-{run_name}-synth.txt"
    out_list.write_text("\n".join(listed) + "\n")
    spec["train"] = [t for t in train if t not in synth] + [str(out_list.resolve())]
    out = data.parent / f"{data.stem}-{run_name}-synth-by-kind.yaml"
    wanted = ", ".join(f"{k}={n}" for k, n in repeat_synth)
    out.write_text(
        f"# {data.name} with synthetic train images of {wanted} listed that many times "
        "(written by `python -m models train --repeat-synth`).\n"
        + yaml.safe_dump(spec, sort_keys=False)
    )
    return out


def train(opts: TrainOptions) -> Path:
    """Train (or resume) and return the path of the final weights."""
    import torch
    import ultralytics.utils.torch_utils as yolo_torch_utils
    from ultralytics import YOLO

    torch.set_num_threads(max(opts.threads, 1))
    # Ultralytics resets torch's threads to (cores - 1) when it selects the CPU, which is one
    # thread on a 2-core box whatever `--threads` says; make its choice ours.
    yolo_torch_utils.NUM_THREADS = max(opts.threads, 1)
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
    data = opts.data
    if opts.repeat_synth:
        data = synth_oversampled_yaml(data, opts.repeat_synth, opts.run_name)
    if opts.repeat_class:
        data = class_oversampled_yaml(data, opts.repeat_real, opts.repeat_class, opts.run_name)
    elif opts.repeat_real > 1:
        data = oversampled_yaml(data, opts.repeat_real, opts.run_name)
    if opts.start and opts.weights:
        raise ValueError("give a pretrained start or weights to fine-tune, not both")
    if opts.start:
        from models.pretrained import write_start

        start = str(write_start(opts.start, run_dir(opts.run_name) / "start.pt"))
    else:
        start = str(opts.weights) if opts.weights else "yolov8n.yaml"
    fine_tune = bool(opts.weights)
    log.info(
        "training %s from %s on %s, %d epochs at %d px",
        opts.run_name,
        start,
        device,
        opts.epochs,
        IMGSZ,
    )
    model = YOLO(start)
    write_notes(opts)
    model.train(
        data=str(data),
        epochs=opts.epochs,
        imgsz=IMGSZ,
        batch=opts.batch,
        device=device,
        workers=opts.workers,
        project=str(RUNS_DIR),
        name=opts.run_name,
        exist_ok=True,
        pretrained=bool(opts.weights or opts.start),
        fraction=opts.fraction,
        cache="ram",
        val=False,  # scored afterwards by `python -m models evaluate`; saves CPU time per epoch
        plots=False,
        patience=opts.patience,
        save_period=opts.save_period,
        optimizer=opts.optimizer,
        **({"lr0": opts.lr0} if opts.lr0 is not None else {}),
        nbs=opts.batch,  # one optimiser step per batch: few images, many steps
        **({"time": opts.hours} if opts.hours else {}),
        # A pretrained start: mosaic on half the batches, off for the last third (at 320 it
        # shrinks small objects), one warm-up epoch for the fresh head.
        close_mosaic=max(opts.epochs // 3, 1) if opts.start else max(opts.epochs // 6, 1),
        # Fine-tuning (from --weights): no warm-up burst, no mosaic (it shrinks small objects).
        warmup_epochs=0.0 if fine_tune else (1.0 if opts.start else 3.0),
        mosaic=0.0 if fine_tune else (0.5 if opts.start else 1.0),
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

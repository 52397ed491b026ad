"""Command line: `python -m models {generate,train,evaluate,export,average,compare-starts,feedback-export}`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from models.paths import DATA_DIR, DATASET_YAML, EVAL_JSON, SHARED_DETECT


def _class_times(text: str) -> tuple[str, int]:
    name, sep, times = text.partition("=")
    if not sep or not name or not times.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: expected CLASS=N, e.g. dust=4")
    return name, int(times)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m models", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="render synthetic sets and write the dataset yaml")
    g.add_argument("--data-dir", type=Path, default=DATA_DIR)
    g.add_argument("--shared", type=Path, default=SHARED_DETECT, help="real YOLO dataset folder")
    g.add_argument("--small", action="store_true", help="a tiny set for smoke tests")
    g.add_argument("--seed", type=int, default=20261123)
    t = sub.add_parser("train", help="train YOLOv8n at 320 px (resumes from last.pt)")
    t.add_argument("--data", type=Path, default=DATASET_YAML)
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--hours", type=float, default=None, help="wall-clock budget; fits the schedule")
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    t.add_argument("--workers", type=int, default=1)
    t.add_argument("--fraction", type=float, default=1.0)
    t.add_argument(
        "--weights", type=Path, default=None, help="start from these weights (fine-tune)"
    )
    t.add_argument(
        "--start",
        default=None,
        help="a pretrained start: yolov5n-coco, yolo11n-imagenet or scratch (see models/pretrained.py)",
    )
    t.add_argument(
        "--repeat-real", type=int, default=1, help="list the real train split N times per epoch"
    )
    t.add_argument(
        "--repeat-class",
        type=_class_times,
        action="append",
        default=[],
        metavar="CLASS=N",
        help="list real train images holding CLASS N times (repeatable)",
    )
    t.add_argument(
        "--repeat-synth",
        type=_class_times,
        action="append",
        default=[],
        metavar="KIND=N",
        help="list synthetic train images of KIND (cyl, neg, dust, scene) N times (repeatable)",
    )
    t.add_argument("--save-period", type=int, default=-1, help="keep epoch<N>.pt every N epochs")
    t.add_argument("--optimizer", default="auto", help="Ultralytics optimizer name")
    t.add_argument("--lr0", type=float, default=None, help="initial learning rate")
    t.add_argument("--why", default="", help="why these settings (goes into the model card)")
    t.add_argument("--name", default="det", help="run name under models/work/runs")
    t.add_argument("--fresh", action="store_true", help="ignore last.pt and start over")
    e = sub.add_parser("evaluate", help="score ONNX models on the val splits, write JSON")
    e.add_argument("--data-dir", type=Path, default=DATA_DIR)
    e.add_argument("--out", type=Path, default=EVAL_JSON)
    e.add_argument("--model", type=Path, action="append", default=None, help="ONNX file(s)")
    e.add_argument(
        "--conf", type=float, default=None, help="alert threshold for image-level figures"
    )
    x = sub.add_parser("export", help="ONNX fp32 + int8, checksums, model card")
    x.add_argument("--weights", type=Path, default=None, help="default: the run's best/last.pt")
    x.add_argument("--name", default="det")
    x.add_argument("--data-dir", type=Path, default=DATA_DIR)
    x.add_argument("--skip-eval", action="store_true", help="reuse models/eval.json's figures")
    x.add_argument(
        "--int8-only",
        action="store_true",
        help="keep the shipped weights and fp32 model; re-quantise, re-evaluate, rewrite the card",
    )
    x.add_argument("--calibration", default=None, help="minmax, percentile or entropy")
    x.add_argument("--calibration-per-group", type=int, default=None, help="images per group")
    x.add_argument("--calibration-seed", type=int, default=0)
    x.add_argument(
        "--weight-type",
        default=None,
        help="uint8 (default: no saturation on x86 without VNNI) or int8 (faster there)",
    )
    a = sub.add_parser("average", help="weighted mean of trained weights (a new checkpoint)")
    a.add_argument("weights", type=Path, nargs="+", help="Ultralytics .pt files, same model")
    a.add_argument("--shares", type=float, nargs="+", required=True, help="one per file, sum 1")
    a.add_argument("--out", type=Path, required=True, help="where to write the checkpoint")
    c = sub.add_parser("compare-starts", help="pretrained starts vs scratch on one sample")
    c.add_argument("--images", type=int, default=1200, help="train images in the sample")
    c.add_argument("--epochs", type=int, default=3)
    c.add_argument("--seed", type=int, default=7)
    c.add_argument("--batch", type=int, default=32)
    c.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    c.add_argument("--workers", type=int, default=0)
    c.add_argument("--start", action="append", default=None, help="only these starts")
    f = sub.add_parser("feedback-export", help="operator verdicts (JSON lines) -> YOLO dataset")
    f.add_argument("records", type=Path, help="JSON-lines file of feedback records")
    f.add_argument("out", type=Path, help="output dataset folder")
    f.add_argument("--val-fraction", type=float, default=0.2)
    f.add_argument("--seed", type=int, default=0)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = _parser().parse_args(argv)
    if args.cmd == "generate":
        from models.generate import generate

        print(generate(args.data_dir, args.shared, small=args.small, seed=args.seed))
    elif args.cmd == "train":
        from models.train import TrainOptions, train

        opts = TrainOptions(
            data=args.data,
            epochs=args.epochs,
            hours=args.hours,
            batch=args.batch,
            threads=args.threads,
            workers=args.workers,
            fraction=args.fraction,
            weights=args.weights,
            start=args.start,
            run_name=args.name,
            fresh=args.fresh,
            repeat_real=args.repeat_real,
            repeat_class=tuple(args.repeat_class),
            repeat_synth=tuple(args.repeat_synth),
            save_period=args.save_period,
            optimizer=args.optimizer,
            lr0=args.lr0,
            why=args.why,
        )
        print(train(opts))
    elif args.cmd == "compare-starts":
        from models.compare_starts import STARTS, CompareOptions, run

        summary = run(
            CompareOptions(
                images=args.images,
                epochs=args.epochs,
                seed=args.seed,
                batch=args.batch,
                threads=args.threads,
                workers=args.workers,
                starts=tuple(args.start or STARTS),
            )
        )
        print(json.dumps(summary))
    elif args.cmd == "evaluate":
        from models.evaluate import evaluate_models

        report = evaluate_models(args.model, args.data_dir, args.out, conf=args.conf)
        print(json.dumps(report["summary"], indent=2))
    elif args.cmd == "export":
        from models.export import export_all
        from models.quantize import QuantSettings

        defaults = QuantSettings()
        quant = QuantSettings(
            method=args.calibration or defaults.method,
            per_group=args.calibration_per_group or defaults.per_group,
            seed=args.calibration_seed,
            weight_type=args.weight_type or defaults.weight_type,
        )
        export_all(
            args.weights,
            args.name,
            args.data_dir,
            skip_eval=args.skip_eval,
            int8_only=args.int8_only,
            quant=quant,
        )
    elif args.cmd == "average":
        from models.average import average_weights

        print(average_weights(args.weights, args.shares, args.out))
    elif args.cmd == "feedback-export":
        from models.feedback import export_feedback

        summary = export_feedback(args.records, args.out, args.val_fraction, args.seed)
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

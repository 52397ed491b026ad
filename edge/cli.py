"""``python -m edge``: the edge agent's command line.

- ``validate-config PATH``: check a box config without starting anything.
- ``run --config PATH``: run the agent until SIGINT/SIGTERM.
- ``detect FILE``: run the detector on an image or a video, print detections and write an
  annotated copy beside it (a technician's first check of a new camera).
- ``onvif-discover``: the ONVIF cameras on the network, their stream URIs and PTZ presets.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from contracts.config_problems import ConfigError
from edge.settings import DetectorSettings, load_edge_config


def _load(path: Path) -> object:
    try:
        return load_edge_config(path)
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {path}", file=sys.stderr)
        return None


def _validate(path: Path) -> int:
    cfg = _load(path)
    if cfg is None:
        return 2
    from edge.settings import EdgeConfig

    assert isinstance(cfg, EdgeConfig)
    zones = sum(len(c.zones) for c in cfg.cameras)
    print(
        f"OK: {path}: box {cfg.settings.box_id}, {len(cfg.cameras)} cameras, {zones} zones, "
        f"broker {cfg.settings.mqtt.url}, model {cfg.settings.detector.model_path}"
    )
    return 0


def _run(path: Path) -> int:
    from edge.agent import Agent
    from edge.detect.base import DetectorError
    from edge.settings import EdgeConfig

    cfg = _load(path)
    if cfg is None:
        return 2
    assert isinstance(cfg, EdgeConfig)
    try:
        agent = Agent(cfg, path.parent.resolve())
    except DetectorError as exc:
        print(f"{path}: detector: {exc}", file=sys.stderr)
        return 2

    def _stop(signum: int, _frame: FrameType | None) -> None:
        agent.request_stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    agent.run_forever()
    return 0


def _detect(file: Path, config: Path | None, model: Path | None, out: Path | None) -> int:
    from edge.detect.base import DetectorError, build_detector
    from edge.detect_file import detect_file
    from edge.settings import EdgeConfig

    settings = DetectorSettings()
    if config is not None:
        cfg = _load(config)
        if cfg is None:
            return 2
        assert isinstance(cfg, EdgeConfig)
        settings = cfg.settings.detector
    else:
        settings = settings.model_copy(
            update={"model_path": (Path(__file__).parents[1] / "models" / "gridwall-det-320.onnx")}
        )
    if model is not None:
        settings = settings.model_copy(update={"model_path": model.resolve()})
    try:
        detector = build_detector(settings)
    except DetectorError as exc:
        print(f"detector: {exc}", file=sys.stderr)
        return 2
    try:
        written = detect_file(detector, file, out)
    except (OSError, ValueError) as exc:
        print(f"{file}: {exc}", file=sys.stderr)
        return 2
    print(f"annotated copy: {written}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge", description="Gridwall edge agent")
    parser.add_argument("--log-level", default="INFO")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("validate-config", help="check an edge box config file")
    check.add_argument("path", type=Path)
    run = sub.add_parser("run", help="run the agent")
    run.add_argument("--config", type=Path, required=True)
    det = sub.add_parser("detect", help="detect objects in an image or video file")
    det.add_argument("file", type=Path)
    det.add_argument("--config", type=Path, help="take detector settings from a box config")
    det.add_argument("--model", type=Path, help="an ONNX (or .pt) model file")
    det.add_argument("--out", type=Path, help="where to write the annotated copy")
    enr = sub.add_parser("enrol", help="enrol this box with a one-time token from the hub")
    enr.add_argument("--hub", required=True, help="the hub's URL, e.g. https://hub.example")
    enr.add_argument("--token", required=True)
    enr.add_argument("--dir", type=Path, default=Path("/etc/gridwall"))
    enr.add_argument("--data-dir", type=Path, default=Path("/var/lib/gridwall"))
    enr.add_argument(
        "--model", type=Path, default=Path("/var/lib/gridwall/models/gridwall-det-320.onnx")
    )
    enr.add_argument(
        "--backend",
        choices=["onnx", "onnxruntime", "openvino", "auto", "ultralytics", "truth"],
    )
    sup = sub.add_parser(
        "supervise", help="run the agent as a child; roll back a config it cannot start with"
    )
    sup.add_argument("--config", type=Path, required=True)
    sup.add_argument("--settle-s", type=float, default=10.0)
    ovf = sub.add_parser("onvif-discover", help="list the ONVIF cameras on this network")
    ovf.add_argument("--timeout-s", type=float, default=3.0)
    ovf.add_argument("--target", help="probe one HOST:PORT instead of the multicast group")
    ovf.add_argument("--username-env", help="variable holding the cameras' user name")
    ovf.add_argument("--password-env", help="variable holding their password")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "validate-config":
        return _validate(args.path)
    if args.command == "run":
        return _run(args.config)
    if args.command == "detect":
        return _detect(args.file, args.config, args.model, args.out)
    if args.command == "enrol":
        from edge import enrol

        return enrol.main(args.hub, args.token, args.dir, args.data_dir, args.model, args.backend)
    if args.command == "supervise":
        from edge import supervise

        return supervise.main(args.config, args.settle_s)
    if args.command == "onvif-discover":
        from edge.onvif.discovery import MULTICAST
        from edge.onvif.survey import survey

        host, _, port = (args.target or "").rpartition(":")
        target = (host, int(port)) if args.target else MULTICAST
        return survey(sys.stdout, args.timeout_s, target, args.username_env, args.password_env)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""``python -m edge``: the edge agent's command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contracts.config_problems import ConfigError
from edge.settings import load_edge_config


def _validate(path: Path) -> int:
    try:
        cfg = load_edge_config(path)
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {path}", file=sys.stderr)
        return 2
    zones = sum(len(c.zones) for c in cfg.cameras)
    print(
        f"OK: {path}: box {cfg.settings.box_id}, {len(cfg.cameras)} cameras, {zones} zones, "
        f"broker {cfg.settings.mqtt.url}, model {cfg.settings.detector.model_path}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge", description="Gridwall edge agent")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("validate-config", help="check an edge box config file")
    check.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.command == "validate-config":
        return _validate(args.path)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())

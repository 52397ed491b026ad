"""``python -m hub.wall --config configs/hub.yaml``: serve the wall and the console."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from contracts.config_problems import ConfigError
from hub.district.load import load_district
from hub.settings import load_hub_settings
from hub.wall.app import create_wall_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.wall", description="Gridwall wall server")
    parser.add_argument("--config", type=Path, default=Path("configs/hub.yaml"))
    parser.add_argument("--port", type=int, default=None, help="default: http.port of the config")
    args = parser.parse_args(argv)
    try:
        settings = load_hub_settings(args.config)
        district = load_district(settings.district_dir)
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    app = create_wall_app(settings, district)
    port = settings.http.port if args.port is None else args.port
    uvicorn.run(app, host=settings.http.host, port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())

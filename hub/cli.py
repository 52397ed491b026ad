"""``python -m hub``: the hub's command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contracts.config_problems import ConfigError
from hub.district import District, load_district
from hub.settings import load_hub_settings


def _validate(path: Path) -> int:
    try:
        if path.is_dir():
            district = load_district(path)
            where = str(path)
        else:
            settings = load_hub_settings(path)
            district = load_district(settings.district_dir)
            where = f"{path} (district {settings.district_dir})"
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {path}", file=sys.stderr)
        return 2
    print(f"OK: {where}: {_summary(district)}")
    return 0


def _summary(d: District) -> str:
    basic = sum(1 for g in d.grids.values() if g.kind == "basic")
    return (
        f"county {d.county.code}, {len(d.streets)} streets, {len(d.communities)} communities, "
        f"{basic} grids + {len(d.grids) - basic} professional, {len(d.cameras)} cameras, "
        f"{len(d.categories)} categories, {len(d.people)} people"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub", description="Gridwall hub")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("validate-config", help="check a hub config file or a district folder")
    check.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.command == "validate-config":
        return _validate(args.path)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())

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


def _run(path: Path, log_level: str) -> int:
    import logging

    import uvicorn

    from hub.api.auth import TokenError
    from hub.app import create_app

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        settings = load_hub_settings(path)
        app = create_app(settings)
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    except TokenError as exc:
        print(exc, file=sys.stderr)
        return 2
    uvicorn.run(app, host=settings.http.host, port=settings.http.port, log_level=log_level)
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
    run = sub.add_parser("run", help="run the hub: MQTT ingest, correlation, timers and the API")
    run.add_argument("--config", type=Path, default=Path("configs/hub.yaml"))
    run.add_argument("--log-level", default="info")
    records = sub.add_parser(
        "records", help="the case history in PostgreSQL (GRIDWALL_DATABASE_URL): see hub/records"
    )
    records.add_argument(
        "action",
        choices=[
            "migrate",
            "copy",
            "rebuild",
            "status",
            "sweep",
            "evidence",
            "keygen",
            "public-key",
        ],
        help="migrate: schema to the newest revision; copy: what the change stream holds "
        "past the position, then exit (a running hub copies by itself); rebuild: empty the "
        "history and copy every case log from Redis again; status: revision, rows, position; "
        "sweep: delete evidence media past their case's retention (never of an open case); "
        "evidence CASE_NO OUT_DIR: a case's signed evidence bundle; keygen: make the "
        "evidence-signing key; public-key: print its public half and fingerprint",
    )
    records.add_argument("operands", nargs="*", help="evidence: CASE_NO OUT_DIR")
    records.add_argument("--config", type=Path, default=Path("configs/hub.yaml"))
    args = parser.parse_args(argv)
    if args.command == "validate-config":
        return _validate(args.path)
    if args.command == "run":
        return _run(args.config, args.log_level)
    if args.command == "records":
        if args.action in ("evidence", "keygen", "public-key"):
            from hub.records.evidence import run_command

            return run_command(args.config, args.action, args.operands)
        from hub.records.commands import run as run_records

        if args.operands:
            parser.error(f"records {args.action} takes no operands")
        return run_records(args.action, args.config)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""``python -m hub.enrol.render --config hub.yaml``: write the broker's passwd and acl files now.

Run before the broker starts (the compose stack's ``broker-files`` step), so the hub's own
login and every box enrolled earlier (kept in Redis) are in place; the running hub rewrites
the files on each enrolment.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from contracts.config_problems import ConfigError
from hub.district import load_district
from hub.enrol.service import EnrolService
from hub.settings import load_hub_settings
from hub.store.keys import Keys
from hub.store.redis_client import async_redis


async def render(config: Path) -> Path:
    settings = load_hub_settings(config)
    district = load_district(settings.district_dir)
    redis = async_redis(settings.redis)
    try:
        svc = EnrolService(
            redis,
            Keys.for_district(settings.redis.key_prefix, district.county.code).prefix,
            settings.mqtt.topic_prefix,
            district,
            settings.enrol.model_copy(update={"reload": "none"}),
        )
        accounts = await svc.accounts()
        if not any(a.role == "hub" for a in accounts):
            raise SystemExit(
                f"${settings.enrol.hub_password_env} is not set: the hub would have no broker login"
            )
        return await svc.sync_broker_files()
    finally:
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.enrol.render", description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        folder = asyncio.run(render(args.config))
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    print(f"broker files written to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

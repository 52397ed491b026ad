"""One-shot rename of a hub's Redis keys from before the district hash tag.

Until the keys carried the district's hash tag (``hub.store.keys``) they were
``{key_prefix}:inbox``, ``{key_prefix}:case:...`` and so on; a hub of this version reads
``{key_prefix}:{{county}}:...`` and would not see them. Stop every hub process, then run once::

    .venv/bin/python -m hub.store.rename_keys configs/hub.yaml            # say what it would do
    .venv/bin/python -m hub.store.rename_keys configs/hub.yaml --apply    # rename

Every key under ``{key_prefix}:`` without a hash tag is renamed (``RENAME`` keeps
a stream's consumer groups, a key's TTL and type). It runs on the single Redis or Sentinel
primary the keys are on; move to a Redis Cluster after it, not before (a cluster cannot
rename across slots). Run twice, the second run finds nothing to do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import redis

from contracts.config_problems import ConfigError
from hub.district.load import county_code
from hub.settings import load_hub_settings
from hub.store.keys import Keys
from hub.store.redis_client import sync_redis


def old_keys(r: redis.Redis, key_prefix: str) -> list[str]:
    """The keys under ``key_prefix:`` without a hash tag (a tagged one is this district's,
    already renamed, or another district's on the same Redis: both are left alone)."""
    out = []
    for raw in r.scan_iter(match=f"{key_prefix}:*", count=1000):
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        if not key[len(key_prefix) + 1 :].startswith("{"):
            out.append(key)
    return sorted(out)


def rename(r: redis.Redis, key_prefix: str, root: str, keys: list[str]) -> int:
    """Rename each of ``keys`` under ``root``; refuses to overwrite a key already there."""
    done = 0
    for key in keys:
        new = root + key[len(key_prefix) :]
        if r.renamenx(key, new):
            done += 1
        else:
            print(f"not renamed: {new} exists already (left {key})", file=sys.stderr)
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hub.store.rename_keys", description=__doc__)
    ap.add_argument("config", type=Path, help="the hub's settings file (configs/hub.yaml)")
    ap.add_argument("--apply", action="store_true", help="rename (without it: only list)")
    a = ap.parse_args(argv)
    try:
        settings = load_hub_settings(a.config)
        root = Keys.for_district(settings.redis.key_prefix, county_code(settings.district_dir))
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    if settings.redis.cluster:
        print("rename before moving to a Redis Cluster, on the single Redis", file=sys.stderr)
        return 2
    r = sync_redis(settings.redis, socket_timeout=30)
    try:
        keys = old_keys(r, settings.redis.key_prefix)
        if not a.apply:
            for key in keys[:20]:
                print(f"{key} -> {root.prefix}{key[len(settings.redis.key_prefix) :]}")
            print(f"{len(keys)} key(s) to rename under {root.prefix}; --apply renames them")
            return 0
        n = rename(r, settings.redis.key_prefix, root.prefix, keys)
        print(f"renamed {n} of {len(keys)} key(s) under {root.prefix}")
        return 0 if n == len(keys) else 1
    finally:
        r.close()


if __name__ == "__main__":
    sys.exit(main())

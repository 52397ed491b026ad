"""``python -m hub records migrate|copy|rebuild|status|sweep``: the case history's commands."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import redis
from sqlalchemy import Engine, func, select

from contracts.config_problems import ConfigError
from hub.clipfetch.jobs import ClipEnqueuer
from hub.clipfetch.jobs import summary as clip_summary
from hub.district import load_district
from hub.district.load import county_code
from hub.records.copier import Copier, position, rebuild, write_reference
from hub.records.database import RecordsError, current_revision, migrate, open_engine, safe_url
from hub.records.media import MediaKeeper
from hub.records.objects import open_store
from hub.records.schema import cases, events
from hub.records.sweep import sweep
from hub.settings import HubSettings, load_hub_settings
from hub.store.keys import Keys
from hub.store.redis_client import sync_redis


def _settings(config: Path) -> HubSettings | None:
    try:
        settings = load_hub_settings(config)
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return None
    if not settings.records.database_url:
        print(
            f"records are off in {config}: set GRIDWALL_DATABASE_URL (or records.database_url)",
            file=sys.stderr,
        )
        return None
    return settings


def run(action: str, config: Path) -> int:
    settings = _settings(config)
    if settings is None:
        return 2
    url = settings.records.database_url or ""
    engine = open_engine(url)
    keys = Keys.for_district(settings.redis.key_prefix, county_code(settings.district_dir))
    r = sync_redis(settings.redis, socket_timeout=60)
    try:
        if action == "migrate":
            print(f"{safe_url(url)}: schema at revision {migrate(engine)}")
        elif action == "rebuild":
            migrate(engine)
            d = load_district(settings.district_dir)
            n_cases, n_events = rebuild(engine, r, keys, d, keeper(settings, r, keys))
            print(f"{safe_url(url)}: rebuilt {n_cases} cases, {n_events} events from the log")
        elif action == "copy":
            migrate(engine)
            with engine.begin() as conn:
                write_reference(conn, load_district(settings.district_dir))
            copier = Copier(engine, r, keys, settings.records.batch_max, keeper(settings, r, keys))
            n = copy_pending(copier)
            print(f"{safe_url(url)}: copied {n} case events")
        elif action == "sweep":
            rs = settings.records
            store = open_store(rs)
            now = dt.datetime.now(dt.UTC)
            by_cat = rs.retention_days_by_category
            done = sweep(engine, store, rs.retention_days, by_cat, now)
            print(
                f"{safe_url(url)}: {done.rows} media past retention swept, {done.objects} "
                f"objects deleted from the store, {done.shared} kept for other cases"
            )
        elif action == "status":
            _status(engine, r, keys, url)
        else:
            raise RecordsError(f"unknown records action {action!r}")
    except (RecordsError, ConfigError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except Exception as exc:  # the database or Redis cannot be reached: say which and why
        print(f"{safe_url(url)}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
        r.close()
    return 0


def keeper(settings: HubSettings, r: redis.Redis, keys: Keys) -> MediaKeeper:
    give_up_ms = int(settings.records.clip_give_up_h * 3_600_000)
    return MediaKeeper(r, keys, open_store(settings.records), ClipEnqueuer(r, keys, give_up_ms))


def copy_pending(copier: Copier) -> int:
    """Copy batch after batch until the change stream holds nothing new; returns the events
    copied (a copier running elsewhere makes this one wait for its lock)."""
    n = 0
    while True:
        b = copier.copy_batch()
        if b.busy:
            time.sleep(0.2)
            continue
        n += b.events + b.caught_up_from_logs
        if b.entries == 0 and not b.caught_up_from_logs:
            return n


def _status(engine: Engine, r: redis.Redis, keys: Keys, url: str) -> None:

    revision = current_revision(engine)
    with engine.connect() as conn:
        pos = position(conn, keys.changes) if revision else "-"
        n_cases = conn.execute(select(func.count()).select_from(cases)).scalar() if revision else 0
        n_events = (
            conn.execute(select(func.count()).select_from(events)).scalar() if revision else 0
        )
    newest, gap = Copier(engine, r, keys, 1).stream_state(pos if revision else "0-0")
    print(
        f"{safe_url(url)}: revision {revision or 'none'}, {n_cases} cases, {n_events} events; "
        f"copied up to {pos}, change stream at {newest}"
        + (
            " (trimmed past the position: the next copy catches up from the case logs)"
            if gap
            else ""
        )
    )
    pending, gave_up = clip_summary(r, keys)
    print(f"clips: {pending} to fetch from boxes; {len(gave_up)} recently given up")
    for no, reason in gave_up:
        print(f"  case {no}: {reason}")

"""Copy rate of the case history: cases written to Redis through the hub's case store (its
Lua append, which also feeds the change stream), then copied into a fresh PostgreSQL
database by ``hub.records``, then rebuilt from the case logs.

    .venv/bin/python bench/records_copy.py [--cases 5000] [--batch 500]

Needs Redis (db 15, a prefix of its own, removed after) and PostgreSQL where
``GRIDWALL_TEST_DATABASE_URL`` says (default: the database scripts/services makes; a
database ``gridwall_bench_<hex>`` is made and dropped). Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import redis as redis_sync
from redis.asyncio import Redis
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from hub.district import load_district
from hub.district.load import county_code
from hub.domain.case_state import CaseEvent, CaseView, fold, next_event
from hub.records.commands import copy_pending
from hub.records.copier import Copier, rebuild
from hub.records.database import migrate, open_engine, sqlalchemy_url
from hub.records.schema import cases, events
from hub.store.cases import CaseStore
from hub.store.keys import Keys

REDIS = os.environ.get("GRIDWALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PG = os.environ.get(
    "GRIDWALL_TEST_DATABASE_URL", "postgresql://gridwall:gridwall@127.0.0.1:5432/gridwall"
)
T0 = 1_795_000_000_000
WORK = ("accept", "start", "resolve", "verify", "close")


def case_log(no: str, grid: str, person: str, rng: random.Random) -> list[CaseEvent]:
    """Report, file, dispatch, then 0-5 working steps (a realistic spread of open and closed)."""
    at = T0 + rng.randrange(0, 86_400_000)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("report", {"case_no": no, "source": "video_ai", "grid_code": grid, "category": "06010"}),
        ("file", {}),
        ("dispatch", {"assignees": [person], "tier": 0, "dispose_due_ms": at + 7_200_000}),
    ]
    steps += [(a, {}) for a in WORK[: rng.randrange(0, len(WORK) + 1)]]
    out: list[CaseEvent] = []
    view = CaseView()
    for action, data in steps:
        at += rng.randrange(60_000, 1_800_000)
        out.append(next_event(view, action, actor="bench", at_ms=at, data=data))
        view = fold(out)
    return out


async def write_cases(r: Redis, keys: Keys, n: int) -> int:
    district = load_district(Path("configs/district"))
    grids = [g for g in district.grids if g in {p.grid_code for p in district.people}]
    store = CaseStore(r, keys, changes_max=10_000_000)
    rng = random.Random(18)
    written = 0
    for i in range(n):
        no = f"33990120261123{1 + i // 99_999}{i % 99_999 + 1:05d}"
        grid = rng.choice(grids)
        log = case_log(no, grid, f"p-{grid}-m", rng)
        await store.create(no, log, {"case_no": no}, log[0].at_ms)
        written += len(log)
    return written


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    keys = Keys.for_district(f"bench{uuid.uuid4().hex[:8]}", county_code(Path("configs/district")))
    name = f"gridwall_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sqlalchemy_url(PG), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(sqlalchemy_url(PG)).set(database=name).render_as_string(hide_password=False)
    engine = open_engine(url)
    r = redis_sync.Redis.from_url(REDIS)
    try:
        migrate(engine)

        async def write() -> int:
            ar = Redis.from_url(REDIS)
            try:
                return await write_cases(ar, keys, args.cases)
            finally:
                await ar.aclose()

        t = time.perf_counter()
        n_events = asyncio.run(write())
        write_s = time.perf_counter() - t
        t = time.perf_counter()
        copied = copy_pending(Copier(engine, r, keys, args.batch))
        copy_s = time.perf_counter() - t
        t = time.perf_counter()
        n_cases, rebuilt = rebuild(engine, r, keys, load_district(Path("configs/district")))
        rebuild_s = time.perf_counter() - t
        with engine.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(events)).scalar_one()
            open_n = conn.execute(
                select(func.count()).select_from(cases).where(cases.c.is_open)
            ).scalar_one()
        assert copied == n_events == rebuilt == rows, (copied, n_events, rebuilt, rows)
        out = {
            "cases": n_cases,
            "open_cases": open_n,
            "events": n_events,
            "batch": args.batch,
            "write_to_redis_s": round(write_s, 2),
            "copy_s": round(copy_s, 2),
            "copy_events_per_s": round(n_events / copy_s),
            "rebuild_s": round(rebuild_s, 2),
            "rebuild_events_per_s": round(n_events / rebuild_s),
            "load_average_1m": round(os.getloadavg()[0], 1),
        }
        print(json.dumps(out))
    finally:
        engine.dispose()
        for k in r.scan_iter(match=f"{keys.prefix}:*", count=1000):
            r.delete(k)
        r.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()

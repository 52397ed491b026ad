"""What one ``/metrics`` scrape costs the hub for its backlog gauges (open and overdue cases
reported in the last 30 days), at a county's volume: the read it does now beside the read it
did before.

    .venv/bin/python bench/metrics_scrape.py [--days 30] [--cases-per-day 3455] [--open-share 0.04]

A Redis of its own (``redis-server`` on a free port). ``--days × --cases-per-day`` cases are
written through the hub's case store (its append script, each case's events in one
transaction): report, file, dispatch; all but ``--open-share`` of them also accepted,
resolved, verified and closed. Then ``--scrapes`` times each way of reading the backlog:

- now (``hub.api.ops._open_views``): the case hashes in one pipeline, then the logs of the
  open cases only;
- before: the log of every case reported in the window, one call each.

Both must give the same (open, overdue). Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hub_ingest import own_redis
from redis.asyncio import Redis

from hub.api.ops import _open_views
from hub.domain.case_state import CaseEvent, CaseView, apply, next_event
from hub.domain.kpi import backlog
from hub.store.cases import CaseStore
from hub.store.keys import Keys

LIFE = ("report", "file", "dispatch", "accept", "resolve", "verify", "close")
DAY_MS = 86_400_000


def case_events(no: str, at_ms: int, closed: bool, rng: random.Random) -> list[CaseEvent]:
    """One case's log: dispatched with a 4 h limit (a tenth of them already past it)."""
    view, out = CaseView(), []
    for i, action in enumerate(LIFE if closed else LIFE[:3]):
        data: dict[str, Any] = {}
        if action == "report":
            data = {"case_no": no, "grid_code": "339901001001007", "category": "06010"}
        elif action == "dispatch":
            hours = -1 if rng.random() < 0.1 else 4
            data = {"assignees": ["bench"], "tier": 0, "dispose_due_ms": at_ms + hours * 3_600_000}
        ev = next_event(view, action, actor="bench", at_ms=at_ms + i * 60_000, data=data)
        view = apply(view, ev)
        out.append(ev)
    return out


async def load(store: CaseStore, args: argparse.Namespace, now_ms: int) -> int:
    rng = random.Random(args.seed)
    total = int(args.days * args.cases_per_day)
    fields = {"case_no": "", "grid_code": "339901001001007", "category": "06010"}
    jobs = []
    for n in range(total):
        no = f"3399012026{n:08d}"
        at = now_ms - int(rng.random() * (args.days * DAY_MS - 3_600_000)) - 3_600_000
        events = case_events(no, at, rng.random() >= args.open_share, rng)
        jobs.append(store.create(no, events, fields | {"case_no": no}, at))
        if len(jobs) == 32:
            await asyncio.gather(*jobs)
            jobs = []
    await asyncio.gather(*jobs)
    return total


async def before(store: CaseStore, since_ms: int) -> list[CaseView]:
    numbers = await store.recent_numbers(100_000, since_ms)
    return [await store.view(no) for no in numbers]


async def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    r = Redis.from_url(url)
    store = CaseStore(r, Keys.for_district("gw", "339901"), changes_max=1000)
    now = int(time.time() * 1000)
    t0 = time.perf_counter()
    total = await load(store, args, now)
    load_s = time.perf_counter() - t0
    since = now - 30 * DAY_MS
    rt: Any = SimpleNamespace(store=store)
    out: dict[str, Any] = {"cases": total, "load_s": round(load_s, 1)}
    reads: dict[str, Callable[[], Awaitable[list[CaseView]]]] = {
        "now": lambda: _open_views(rt, since),
        "before": lambda: before(store, since),
    }
    for name, read in reads.items():
        times, result = [], None
        for _ in range(args.scrapes):
            t = time.perf_counter()
            result = backlog(await read(), now)
            times.append(time.perf_counter() - t)
        out[name] = {"open_overdue": result, "seconds": [round(x, 3) for x in times]}
    t = time.perf_counter()
    open_n = len(await store.open_records(since))
    out["now_hash_read_s"] = round(time.perf_counter() - t, 3)
    out["open_logs_read"] = open_n
    out["same"] = out["now"]["open_overdue"] == out["before"]["open_overdue"]
    await r.aclose()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--cases-per-day", type=int, default=3455)
    p.add_argument("--open-share", type=float, default=0.04)
    p.add_argument("--scrapes", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = own_redis(Path(tmp))
        try:
            result = asyncio.run(run(args, url))
        finally:
            proc.terminate()
            proc.wait(10)
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

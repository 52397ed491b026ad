"""The wall's live KPIs: case event → figures on the wall's live stream, and what a KPI read
costs, at a county's daily volume.

    .venv/bin/python bench/live_kpis.py [--cases-per-day 3455] [--speeds 1,10] [--seconds 60]

A Redis of its own (``redis-server`` on a free port, so its command statistics are the hub's
alone) and the whole hub app (``create_app``: runtime, KPI follower, wall) served by uvicorn.
First the day is loaded: ``--cases-per-day`` cases reported today on the district's grids,
each written event by event through the hub's append script (report, file, dispatch; most
also accepted, resolved, verified and closed), and counted by the follower. Then, at each
speed, case events are driven at ``cases-per-day × 7 events × speed`` a day (new cases
walking report → file → dispatch → accept → resolve → verify → close, interleaved), while an
SSE client follows a wall's live stream. Every report and close moves ``cases + closed`` on
the county's figures; its latency is the time from the append to the first ``kpis`` event
on the stream whose ``cases + closed`` reaches it. Last, with the hub stopped (nothing else
on that Redis), ``--reads`` KPI reads (the county with ``by=street``) are counted in
``INFO commandstats`` and timed, beside one read of the old way (every case of the day read
back: the case log of each). Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from redis.asyncio import Redis

from hub.api.auth import Principal
from hub.app import create_app
from hub.domain.case_state import CaseEvent, CaseView, apply, next_event
from hub.kpis.counters import KpiCounters, kpi_plan
from hub.kpis.live import kpi_body
from hub.services.context import HubContext
from hub.settings import HubSettings
from hub.store.cases import CaseStore
from hub.store.keys import Keys

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-operator-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIFE = ("report", "file", "dispatch", "accept", "resolve", "verify", "close")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(q * len(s)))] * 1000, 1)


class Cases:
    """New cases walking the life cycle; ``step`` appends one event through the hub's
    script."""

    def __init__(self, store: CaseStore, r: Redis, keys: Keys, ctx: HubContext, seed: int):
        self.store, self.r, self.k, self.ctx = store, r, keys, ctx
        self.rng = random.Random(seed)
        d = ctx.district
        self.grids = sorted(g.code for g in d.grids.values() if g.kind == "basic")
        self.cats = sorted(d.categories)
        self.views: dict[str, CaseView] = {}
        self.n = 0
        tz = ZoneInfo(ctx.calendar.timezone)
        now = dt.datetime.now(tz)
        self.day = now.strftime("%Y%m%d")
        self.day_start_ms = int(dt.datetime.combine(now.date(), dt.time(), tz).timestamp() * 1000)

    def new_number(self) -> str:
        self.n += 1
        return f"{self.ctx.county}{self.day}9{self.n:05d}"

    async def step(self, no: str, action: str, at_ms: int) -> None:
        v = self.views.get(no, CaseView())
        data: dict[str, Any] = {}
        if action == "report":
            grid = self.rng.choice(self.grids)
            cat = self.rng.choice(self.cats)
            data = {
                "case_no": no,
                "grid_code": grid,
                "category": cat,
                "department": self.ctx.owners.owner_of(cat).department,
                "source": "video_ai",
            }
        elif action == "dispatch":
            due = at_ms + (4 if self.rng.random() < 0.85 else -1) * 3_600_000
            data = {"assignees": ["bench"], "tier": 0, "dispose_due_ms": due}
        ev: CaseEvent = next_event(v, action, actor="bench", at_ms=at_ms, data=data)
        new = apply(v, ev)
        fields: dict[str, Any] = {"case_no": no}
        fields |= {k: data[k] for k in ("grid_code", "category") if k in data}
        await self.store.append(no, ev, new.tier, fields if action == "report" else {})
        if action == "report":
            await self.r.zadd(self.k.cases, {no: at_ms})
        self.views[no] = new


async def preload(cases: Cases, n: int) -> None:
    """``n`` cases reported today before now; 60% of them closed."""
    now = int(time.time() * 1000)
    for _ in range(n):
        no = cases.new_number()
        at = cases.day_start_ms + int(cases.rng.random() * max(1, now - cases.day_start_ms - 1))
        steps = LIFE if cases.rng.random() < 0.6 else LIFE[:3]
        for i, action in enumerate(steps):
            await cases.step(no, action, min(now, at + i * 60_000))


async def figures(http: httpx.AsyncClient) -> dict[str, Any]:
    total: dict[str, Any] = (await http.get("/api/kpis", headers=AUTH)).json()["total"]
    return total


async def follow(
    http: httpx.AsyncClient, wall: str, seen: list[tuple[float, int]], ready: asyncio.Event
) -> None:
    """Read the wall's live stream; each ``kpis`` event as (arrival, cases + closed)."""
    async with http.stream("GET", f"/api/wall/walls/{wall}/events", headers=AUTH) as resp:
        name = ""
        async for line in resp.aiter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name == "kpis":
                t = json.loads(line[6:])["total"]
                seen.append((time.monotonic(), int(t["cases"]) + int(t["closed"])))
                ready.set()


async def drive(
    cases: Cases, rate_per_s: float, seconds: float, base: int
) -> list[tuple[float, int]]:
    """Events at ``rate_per_s`` for ``seconds``: (send time, cases + closed it brings) for
    each report and close."""
    sent: list[tuple[float, int]] = []
    live: dict[str, int] = {}  # case → next step
    level = base
    start = time.monotonic()
    k = 0
    while time.monotonic() - start < seconds:
        due = start + k / rate_per_s
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        k += 1
        if not live or cases.rng.random() < 1 / len(LIFE):
            no = cases.new_number()
            live[no] = 0
        else:
            no = cases.rng.choice(sorted(live))
        action = LIFE[live[no]]
        t = time.monotonic()
        await cases.step(no, action, int(time.time() * 1000))
        live[no] += 1
        if live[no] == len(LIFE):
            del live[no]
        if action in ("report", "close"):
            level += 1
            sent.append((t, level))
    return sent


def latencies(sent: list[tuple[float, int]], seen: list[tuple[float, int]]) -> list[float]:
    out = []
    for t, level in sent:
        got = next((s for s, v in seen if s >= t and v >= level), None)
        if got is not None:
            out.append(got - t)
    return out


async def read_cost(
    r: Redis, keys: Keys, counters: KpiCounters, store: CaseStore, reads: int, day: dt.date
) -> dict[str, Any]:
    """Commands and time per KPI read, with nothing else on this Redis; and one read the old
    way (every case reported today read back)."""
    await r.config_resetstat()
    t0 = time.perf_counter()
    for _ in range(reads):
        body = await kpi_body(counters, day, None, None, "street")
    t_read = (time.perf_counter() - t0) / reads
    info: Any = await r.info("commandstats")
    per_read = {
        k.removeprefix("cmdstat_"): round(int(v["calls"]) / reads, 2)
        for k, v in info.items()
        if k not in ("cmdstat_config", "cmdstat_info")
    }
    start = int(dt.datetime.combine(day, dt.time(), ZoneInfo("Asia/Shanghai")).timestamp() * 1000)
    await r.config_resetstat()
    t0 = time.perf_counter()
    numbers = await store.recent_numbers(100_000, start)
    for no in numbers:
        await store.view(no)
    t_scan = time.perf_counter() - t0
    info = await r.info("commandstats")
    scan_calls = sum(
        int(v["calls"]) for k, v in info.items() if k not in ("cmdstat_config", "cmdstat_info")
    )
    return {
        "cases_counted": body["total"]["cases"],
        "streets": len(body.get("by") or {}),
        "read_ms": round(t_read * 1000, 3),
        "redis_calls_per_read": per_read,
        "old_scan_ms": round(t_scan * 1000, 1),
        "old_scan_redis_calls": scan_calls,
    }


def serve(settings: HubSettings) -> tuple[Any, uvicorn.Server, threading.Thread, int]:
    app = create_app(settings, tokens={TOKEN: Principal("bench", "operator")})
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > end or not thread.is_alive():
            raise RuntimeError("the hub did not start")
        time.sleep(0.05)
    return app, server, thread, port


async def run(args: argparse.Namespace, redis_url: str) -> dict[str, Any]:
    prefix = f"bench{random.randrange(10**6)}"
    settings = HubSettings.model_validate(
        {
            "district_dir": str(REPO / "configs" / "district"),
            "mqtt": {"url": args.mqtt_url, "topic_prefix": prefix, "shared_group": prefix},
            "redis": {"url": redis_url, "key_prefix": prefix},
            # the bench's cases carry no escalation policy: the supervision scan, which
            # would act on the red ones, is kept out of the way
            "supervision": {"scan_interval_s": 3600},
        }
    )
    app, server, thread, port = serve(settings)
    rt = app.state.runtime
    r = Redis.from_url(redis_url)
    store = CaseStore(r, rt.keys, settings.ingest.changes_max)
    cases = Cases(store, r, rt.keys, rt.ctx, args.seed)
    out: dict[str, Any] = {"cases_per_day": args.cases_per_day}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            t0 = time.monotonic()
            await preload(cases, args.cases_per_day)
            for _ in range(3000):  # the follower counts them (at most 5 minutes)
                if (await figures(http))["cases"] >= args.cases_per_day:
                    break
                await asyncio.sleep(0.1)
            out["preload_s"] = round(time.monotonic() - t0, 1)
            await http.put("/api/wall/walls/bench", json={"rows": 1, "cols": 1}, headers=AUTH)
            seen: list[tuple[float, int]] = []
            ready = asyncio.Event()
            reader = asyncio.create_task(follow(http, "bench", seen, ready))
            await asyncio.wait_for(ready.wait(), 10)
            for speed in args.speeds:
                total = await figures(http)
                base = int(total["cases"]) + int(total["closed"])
                rate = args.cases_per_day * len(LIFE) * speed / 86_400
                sent = await drive(cases, rate, args.seconds, base)
                await asyncio.sleep(2)
                lat = latencies(sent, seen)
                out[f"x{speed:g}"] = {
                    "events_per_s": round(rate, 3),
                    "measured_events": len(sent),
                    "seen": len(lat),
                    "p50_ms": pct(lat, 0.5),
                    "p99_ms": pct(lat, 0.99),
                    "max_ms": round(max(lat) * 1000, 1) if lat else None,
                    "within_1s": sum(1 for x in lat if x <= 1.0),
                }
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)
    counters = KpiCounters(r, rt.keys, kpi_plan(rt.ctx, rt.district))
    day = dt.datetime.now(ZoneInfo(rt.ctx.calendar.timezone)).date()
    out["read"] = await read_cost(r, rt.keys, counters, store, args.reads, day)
    await r.aclose()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cases-per-day", type=int, default=3455)
    p.add_argument("--speeds", default="1,10", help="multiples of the daily rate, comma-separated")
    p.add_argument("--seconds", type=float, default=60.0, help="driving time per speed")
    p.add_argument("--reads", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mqtt-url", default="mqtt://127.0.0.1:1883")
    args = p.parse_args()
    args.speeds = [float(x) for x in args.speeds.split(",")]
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found: the bench runs a Redis of its own")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", tmp],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.3)
            result = asyncio.run(run(args, f"redis://127.0.0.1:{port}/0"))
        finally:
            proc.terminate()
            proc.wait(10)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""The live KPI counters in a real Redis (``hub.kpis``): case events written by the hub's
append script, counted by the change-stream follower, equal a full recomputation; a replay of
the whole stream (and a backfill) changes nothing; a follower killed mid-way loses nothing."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from hub.domain.case_state import CaseEvent
from hub.domain.case_state import fold as fold_log
from hub.domain.clock import FakeClock
from hub.kpis.counters import KpiCounters, KpiPlan
from hub.kpis.follower import GROUP, KpiFollower
from hub.store.cases import CaseStore
from hub.store.keys import Keys, text
from tests.kpis.case_walk import DAY0_MS, PARENTS, TIERS, TZ, recompute, walk

pytestmark = pytest.mark.integration


@pytest.fixture
async def parts(redis_url: str, redis_prefix: str) -> AsyncIterator[dict[str, Any]]:
    r = Redis.from_url(redis_url)
    keys = Keys.for_district(redis_prefix, "339901")
    store = CaseStore(r, keys, 100_000)
    counters = KpiCounters(r, keys, KpiPlan(TZ, TIERS, PARENTS))
    clock = FakeClock(DAY0_MS + 3 * 86_400_000)
    yield {"r": r, "keys": keys, "store": store, "counters": counters, "clock": clock}
    async for k in r.scan_iter(match=f"{keys.prefix}*", count=1000):
        await r.delete(k)
    await r.aclose()


def follower(p: dict[str, Any], name: str = "w1") -> KpiFollower:
    return KpiFollower(p["r"], p["keys"], p["store"], p["counters"], p["clock"], name)


async def write(
    p: dict[str, Any],
    events: list[tuple[str, CaseEvent]],
    logs: dict[str, list[CaseEvent]] | None = None,
) -> dict[str, list[CaseEvent]]:
    """Append every event through the hub's append script (it lands on the change stream)."""
    logs = {} if logs is None else logs
    for no, ev in events:
        logs.setdefault(no, []).append(ev)
        await p["store"].append(no, ev, fold_log(logs[no]).tier, {})
        if ev.seq == 1:
            await p["r"].zadd(p["keys"].cases, {no: ev.at_ms})
    return logs


async def drain(f: KpiFollower) -> None:
    while await f.step(block_ms=None):
        pass


async def check(p: dict[str, Any], logs: dict[str, list[CaseEvent]]) -> int:
    """Every (day, scope) the counters hold equals the figures recomputed from the cases."""
    views = [fold_log(log) for log in logs.values()]
    n = 0
    for day in ("2026-11-30", "2026-12-01", "2026-12-02"):
        for raw in await p["r"].smembers(p["counters"].areas_key(day)):
            scope = text(raw)
            got = await p["counters"].scope(day, scope)
            assert got == recompute(views, day, scope), (day, scope)
            n += 1
    return n


async def snapshot(p: dict[str, Any]) -> dict[str, Any]:
    r: Redis = p["r"]
    out: dict[str, Any] = {}
    async for k in r.scan_iter(match=f"{p['keys'].prefix}*kpi*", count=1000):
        kind = text(await r.type(k))
        if kind == "hash":
            out[text(k)] = await r.hgetall(k)
        elif kind == "zset":
            out[text(k)] = await r.zrange(k, 0, -1, withscores=True)
        elif kind == "set":
            out[text(k)] = sorted(await r.smembers(k))
        else:
            out[text(k)] = await r.get(k)
    return out


async def test_counters_equal_recomputation_and_a_replay_changes_nothing(
    parts: dict[str, Any],
) -> None:
    events = walk(random.Random(7), 60)
    logs = await write(parts, events[:40])
    f = follower(parts)
    await f.ensure_group()  # made after those writes: the group starts at the stream's end
    assert await f.backfill() > 0  # so the cases already written are counted from their logs
    for i in range(40, len(events), 25):  # then counted as they change, batch by batch
        await write(parts, events[i : i + 25], logs)
        await drain(f)
    assert await check(parts, logs) > 20
    before = await snapshot(parts)
    # a replay: the whole stream delivered again (the group set back to its start), and a
    # backfill over every case once more
    await parts["r"].xgroup_setid(parts["keys"].changes, GROUP, "0")
    await drain(f)
    assert await f.backfill() == 0
    assert await snapshot(parts) == before


async def test_a_follower_killed_mid_way_loses_nothing(parts: dict[str, Any]) -> None:
    events = walk(random.Random(11), 50)
    first = follower(parts, "w1")
    await first.ensure_group()
    logs = await write(parts, events[:100])
    await drain(first)
    await write(parts, events[100:], logs)
    first.batch = 40
    assert await first.step() == 40  # one batch counted and acknowledged
    r: Redis = parts["r"]
    # the next batch read and half counted, then the process dies before its XACK
    got: Any = await r.xreadgroup(GROUP, "w1", {parts["keys"].changes: ">"}, count=40)
    held = got[0][1]
    assert held
    numbers = sorted({text(f[b"case_no"]) for _, f in held})
    await first.fold_cases(numbers[: len(numbers) // 2])
    # the restarted hub: the same consumer name takes back what it held, then carries on
    again = follower(parts, "w1")
    await again.ensure_group()
    assert await again.step(start="0") == len(held)
    await drain(again)
    pending: Any = await r.xpending(parts["keys"].changes, GROUP)
    assert pending["pending"] == 0
    assert await check(parts, logs) > 20

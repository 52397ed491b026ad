"""Must show: ``kill -9`` of the hub while alerts stream in loses no acknowledged alert,
duplicates no case and keeps the timers; two hub processes produce the same cases as one."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from contracts.codec import encode
from contracts.topics import TopicKind, topic_for
from hub.domain.clock import FakeClock
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from hub.store.keys import text
from tests.hub.conftest import (
    HubProcess,
    Publisher,
    key_root,
    make_alert,
    running_hub,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# one auto-filed alarm per camera; cam-01 and cam-91 watch one site: 24 cases from 25 cameras
CAMERAS = [(f"cam-{i:02d}", "08004" if i in (5, 10) else "06010") for i in range(1, 25)]
CAMERAS.append(("cam-91", "06010"))
BOX = {
    f"cam-{i:02d}": f"edge-0{b}"
    for b, ids in {
        1: (1, 2, 3, 4, 22),
        2: (5, 6, 7, 8, 9),
        3: (10, 11, 12, 13, 14, 23),
        4: (15, 16, 17, 18, 19, 20, 21, 24),
    }.items()
    for i in ids
} | {"cam-91": "edge-01"}


def stream_alerts(pub: Publisher, total: int, per_s: float, sent: list[int]) -> None:
    """Updates round-robin over the cameras, paced; ``sent`` counts what the broker took."""
    ids = {cam: f"ev-crash-{cam}" for cam, _ in CAMERAS}
    t0 = time.monotonic()
    for n in range(total):
        cam, cat = CAMERAS[n % len(CAMERAS)]
        seq = n // len(CAMERAS)
        ev = make_alert(
            BOX[cam],
            camera_id=cam,
            category=cat,
            event_id=ids[cam],
            type="new" if seq == 0 else "update",
            seq=seq,
            confidence=0.95,
        )
        pub.raw(topic_for(pub.prefix, TopicKind.EVENT, BOX[cam]), encode(ev))
        sent[0] += 1
        delay = t0 + (n + 1) / per_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def _numbered_without_gaps(numbers: list[str]) -> bool:
    """Each day's sequence (the last 5 digits) runs 1..n. The hub processes here run on the
    real clock and a number holds its day (Asia/Shanghai), so a run across midnight starts
    the sequence again: count per day, never across days."""
    by_day: dict[str, list[int]] = {}
    for no in numbers:
        by_day.setdefault(no[6:14], []).append(int(no[-5:]))
    return all(sorted(s) == list(range(1, len(s) + 1)) for s in by_day.values())


@pytest.mark.parametrize(
    ("numbers", "ok"),
    [
        (["33990120261123100001", "33990120261123100002"], True),
        (["33990120261123100001", "33990120261123100002", "33990120261124100001"], True),
        (["33990120261123100001", "33990120261124100002"], False),  # the 24th's 1 is missing
        (["33990120261123100001", "33990120261123100003"], False),  # a gap
        (["33990120261123100001", "33990120261123100001"], False),  # spent twice
    ],
)
def test_numbers_are_counted_per_day(numbers: list[str], ok: bool) -> None:
    assert _numbered_without_gaps(numbers) is ok


async def _inbox_alerts(redis: Redis, key: str) -> set[tuple[str, int]]:
    got: set[tuple[str, int]] = set()
    last = "-"
    while True:
        rows: Any = await redis.xrange(key, min=last, count=5000)
        rows = [r for r in rows if r[0].decode() != last]
        if not rows:
            return got
        for rid, f in rows:
            body = json.loads(f[b"p"])
            got.add((body["event_id"], body["seq"]))
            last = rid.decode()


async def _cases(redis: Redis, prefix: str) -> dict[str, frozenset[str]]:
    """case number → the alarm keys attached to it, from Redis."""
    out: dict[str, set[str]] = {}
    async for k in redis.scan_iter(match=f"{key_root(prefix)}:alarm:*", count=1000):
        no = await redis.hget(k, "case_no")
        if no:
            out.setdefault(text(no), set()).add(text(k).split(":alarm:", 1)[1])
    return {no: frozenset(v) for no, v in out.items()}


async def test_kill9_loses_nothing_and_timers_survive(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher, tmp_path: Path
) -> None:
    # paced so that what is published while the hub is down stays under the broker's
    # per-session queue (mosquitto's max_queued_messages, 1000 by default)
    total = 1200
    proc = HubProcess(hub_settings, tmp_path, f"hub-crash-{hub_settings.redis.key_prefix}")
    proc.start()
    try:
        await proc.wait_ready()
        sent = [0]
        th = threading.Thread(target=stream_alerts, args=(publisher, total, 200, sent))
        th.start()
        await wait_for(lambda: _at_least(redis, hub_settings, 300), 20)
        proc.kill9()  # mid-stream
        killed_at = sent[0]
        proc.start()
        await proc.wait_ready()
        await asyncio.to_thread(th.join, 30)
        assert sent[0] == total and killed_at < total
        key = f"{key_root(hub_settings.redis.key_prefix)}:inbox"

        async def all_in() -> set[tuple[str, int]] | None:
            got = await _inbox_alerts(redis, key)
            return got if len(got) == total else None

        got = await wait_for(all_in, 30)
        assert len(got) == total  # every alert published is in Redis exactly as sent

        async def settled() -> dict[str, frozenset[str]] | None:
            cases = await _cases(redis, hub_settings.redis.key_prefix)
            pending: Any = await redis.xpending(key, "correlate")
            return cases if len(cases) == 24 and pending["pending"] == 0 else None

        cases = await wait_for(settled, 30)
        numbers = sorted(cases)
        assert numbers == sorted({n for n in numbers})
        assert _numbered_without_gaps(numbers)  # no number spent twice, none skipped
        assert sum(len(v) for v in cases.values()) == 25
        records = [
            k
            async for k in redis.scan_iter(
                match=f"{key_root(hub_settings.redis.key_prefix)}:case:*:events"
            )
        ]
        assert len(records) == 24
        for no in numbers:  # report, file, dispatch (+ attach for the twin camera's alarm)
            n_events = await redis.llen(
                f"{key_root(hub_settings.redis.key_prefix)}:case:{no}:events"
            )
            assert n_events == 2 + len(cases[no])
    finally:
        proc.stop()
    # the escalation timers survived the crash: a hub started later fires them
    clock = FakeClock(int(time.time() * 1000) + 7 * 86_400_000)
    rt = HubRuntime(hub_settings, clock=clock, mqtt=False, workers=False, timer_loop=False)
    await rt.start()
    try:
        fired = await rt.timers.run_due()
        for no in numbers:
            escalations = [e for e in await rt.store.events(no) if e.action == "escalate"]
            assert [(e.data["tier"], e.at_ms, e.actor) for e in escalations] == [
                (1, clock.now_ms(), "system:timer")
            ], no
        assert fired == 24
    finally:
        await rt.stop()


async def _at_least(redis: Redis, settings: HubSettings, n: int) -> bool:
    return int(await redis.xlen(f"{key_root(settings.redis.key_prefix)}:inbox")) >= n


async def test_two_hub_processes_make_the_same_cases_as_one(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher, tmp_path: Path
) -> None:
    total = 600
    # the hub processes below run on the real clock: so does this one (case numbers hold the day)
    async with running_hub(hub_settings, FakeClock(int(time.time() * 1000))):
        sent = [0]
        await asyncio.to_thread(stream_alerts, publisher, total, 2000, sent)
        one = await wait_for(lambda: _settled(redis, hub_settings.redis.key_prefix, 24), 30)
    # the same stream, on fresh prefixes, through two hub processes sharing the load
    prefix2 = hub_settings.redis.key_prefix + "b"
    topic2 = hub_settings.mqtt.topic_prefix + "b"
    s2 = hub_settings.model_copy(
        update={
            "redis": hub_settings.redis.model_copy(update={"key_prefix": prefix2}),
            "mqtt": hub_settings.mqtt.model_copy(update={"topic_prefix": topic2}),
        }
    )
    procs = [HubProcess(s2, tmp_path, f"hub-two-{i}-{prefix2}") for i in range(2)]
    pub2 = Publisher("127.0.0.1", s2.mqtt.port, topic2)
    try:
        for p in procs:
            p.start()
        for p in procs:
            await p.wait_ready()
        sent = [0]
        await asyncio.to_thread(stream_alerts, pub2, total, 2000, sent)
        two = await wait_for(lambda: _settled(redis, prefix2, 24), 30)
        # both processes took part: each ingested and correlated some of the stream (a
        # consumer group lists a consumer from its first read, even an empty one)
        for p in procs:
            async with httpx.AsyncClient(timeout=5) as c:
                metrics = (await c.get(f"http://127.0.0.1:{p.port}/metrics")).text
            for name in ("gridwall_hub_ingested_total", "gridwall_hub_correlated_total"):
                m = re.search(rf"^{name} (\S+)$", metrics, re.M)
                assert m and float(m.group(1)) > 0, f"{p.cfg.name}: {name} is 0"
    finally:
        pub2.close()
        for p in procs:
            p.stop()
        async for k in redis.scan_iter(match=f"{prefix2}:*", count=1000):
            await redis.delete(k)
    assert sorted(one.values(), key=sorted) == sorted(two.values(), key=sorted)
    assert sorted(one) == sorted(two)  # same numbers too: one per new place, no gaps


async def _settled(redis: Redis, prefix: str, n: int) -> dict[str, frozenset[str]] | None:
    cases = await _cases(redis, prefix)
    if len(cases) != n or sum(len(v) for v in cases.values()) != 25:
        return None
    pending: Any = await redis.xpending(f"{key_root(prefix)}:inbox", "correlate")
    return cases if pending["pending"] == 0 else None

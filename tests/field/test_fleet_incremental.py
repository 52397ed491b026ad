"""The fleet check keeps each box's health and recomputes it only when the box's record
changes or its heartbeat times out (a county hub checked 1,000 boxes x 12 cameras a second);
alarms still rise and clear on time, and a raised set Redis lost is put back within
``RECONCILE_S``. Against the real Redis, with the clock moved by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from contracts.messages import BoxStats, CameraStats
from hub.district import District, load_district
from hub.domain.clock import FakeClock
from hub.fleet.service import RECONCILE_S, FleetService, alarms_key
from hub.fleet.settings import FleetSettings
from hub.store.keys import Keys

pytestmark = pytest.mark.integration
NOW = 1_800_000_000_000
TIMEOUT_S = 30.0


def beat(box: str, cams: list[str], at_ms: int) -> BoxStats:
    return BoxStats(
        box_id=box,
        sent_ms=at_ms,
        uptime_s=5.0,
        software_version="0.1.0",
        model_version="det-320",
        cpu_percent=12.0,
        mem_used_bytes=10,
        disk_free_bytes=10**10,
        outbox_depth=0,
        cameras=tuple(
            CameraStats(
                camera_id=c,
                state="online",
                capture_fps=10.0,
                detect_fps=5.0,
                skipped_frames=0,
                inference_ms=14.0,
                queue_depth=0,
            )
            for c in cams
        ),
    )


@pytest.fixture(scope="module")
def district(district_dir: Path) -> District:
    return load_district(district_dir)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    r = Redis.from_url(redis_url)
    yield r
    await r.aclose()


async def heartbeat(r: Redis, keys: Keys, fleet: FleetService, box: str, at_ms: int) -> None:
    stats = beat(box, list(fleet.cameras_of(box)), at_ms)
    await r.hset(keys.edge(box), mapping={"stats": stats.model_dump_json(), "last_seen_ms": at_ms})
    await r.sadd(keys.edges, box)


async def test_health_is_kept_until_the_record_changes_or_times_out(
    redis: Redis, redis_prefix: str, district: District
) -> None:
    keys = Keys(f"{redis_prefix}:{{{district.county.code}}}")
    clock = FakeClock(NOW)
    settings = FleetSettings(heartbeat_timeout_s=TIMEOUT_S, check_interval_s=1.0)
    fleet = FleetService(redis, keys, district, settings, clock, "p", None)
    boxes = sorted({c.box_id for c in district.cameras.values()})
    quiet, talker = boxes[0], boxes[1]
    try:
        for b in boxes:
            await heartbeat(redis, keys, fleet, b, NOW)
        first = {h.box_id: h for h in await fleet.health()}
        assert {h.state for h in first.values()} == {"online"}
        assert first[talker].cameras and all(c.ok for c in first[talker].cameras)

        clock.advance(seconds=10)
        for b in boxes[1:]:
            await heartbeat(redis, keys, fleet, b, clock.now_ms())
        second = {h.box_id: h for h in await fleet.health()}
        assert second[quiet] is first[quiet]  # nothing changed: not rebuilt
        assert second[talker] is not first[talker]  # a new heartbeat: rebuilt
        assert second[talker].last_seen_ms == clock.now_ms()

        # the quiet box's heartbeat is TIMEOUT_S old one millisecond later: offline, alarm
        assert await fleet.check() == []
        clock.set(NOW + int(TIMEOUT_S * 1000) + 1)
        raised = await fleet.check()
        assert [(c.key, c.action) for c in raised] == [(f"box:{quiet}", "raise")]
        assert "no heartbeat for 30 s" in raised[0].reason
        clock.advance(seconds=1)
        assert await fleet.check() == []  # raised once
        later = {h.box_id: h for h in await fleet.health()}
        assert "no heartbeat for 31 s" in str(later[quiet].reason)

        # Redis lost the raised alarm: only a reconciling pass (every RECONCILE_S) sees it
        await redis.delete(f"{keys.prefix}:fleet:raised:{quiet}", alarms_key(keys.prefix))
        clock.advance(seconds=1)
        assert await fleet.check() == []
        clock.advance(seconds=RECONCILE_S)
        for b in boxes[1:]:  # the others keep talking
            await heartbeat(redis, keys, fleet, b, clock.now_ms())
        again = await fleet.check()
        assert [(c.key, c.action) for c in again] == [(f"box:{quiet}", "raise")]

        await heartbeat(redis, keys, fleet, quiet, clock.now_ms())
        cleared = await fleet.check()
        assert [(c.key, c.action) for c in cleared] == [(f"box:{quiet}", "clear")]
        assert await redis.hlen(alarms_key(keys.prefix)) == 0
    finally:
        found = [k async for k in redis.scan_iter(match=f"{redis_prefix}*")]
        if found:
            await redis.delete(*found)

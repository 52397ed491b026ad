"""The case history against the real PostgreSQL and Redis: copies are idempotent, a copier
killed mid-batch loses and duplicates nothing, a rebuild from the log gives the same rows,
a trimmed change stream is caught up from the case logs, and the hub runs the copier."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
import yaml
from redis.asyncio import Redis
from sqlalchemy import Engine, func, select, text

from hub.domain.clock import FakeClock
from hub.records.commands import copy_pending
from hub.records.copier import Copier, rebuild
from hub.records.database import migrate, open_engine
from hub.records.schema import cases, events, records_position
from hub.runtime import HubRuntime
from hub.settings import HubSettings, RecordsSettings
from hub.store.keys import text as as_text
from tests.hub.conftest import MONDAY_9, wait_for
from tests.records.rig import copy_all, events_in_redis, make_cases, more_events, snapshot

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    e = open_engine(database_url)
    migrate(e)
    yield e
    e.dispose()


@pytest.fixture
async def rt(hub_settings: HubSettings, redis: Redis) -> AsyncIterator[HubRuntime]:
    runtime = HubRuntime(
        hub_settings, clock=FakeClock(MONDAY_9), mqtt=False, workers=False, timer_loop=False
    )
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
def sync_redis(hub_settings: HubSettings) -> Iterator[redis_sync.Redis]:
    r = redis_sync.Redis.from_url(hub_settings.redis.url)
    yield r
    r.close()


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


async def test_replayed_events_give_the_same_rows(
    rt: HubRuntime, redis: Redis, engine: Engine, sync_redis: redis_sync.Redis
) -> None:
    assert isinstance(rt.clock, FakeClock)
    numbers = await make_cases(rt, redis, rt.clock)
    assert len(numbers) >= 6
    copier = Copier(engine, sync_redis, rt.keys, batch_max=7)
    total = await events_in_redis(rt, redis)
    assert copy_all(copier) == total
    first = snapshot(engine)
    assert len(first["events"]) == total and len(first["cases"]) == len(numbers)
    states = {row[0]: row[8] for row in first["cases"]}
    assert sorted(set(states.values())) == ["accepted", "closed", "dispatched"]
    # the whole stream again from its start: nothing changes
    with engine.begin() as conn:
        conn.execute(text("UPDATE records_position SET last_id = '0-0'"))
    assert copy_all(copier) == total
    assert snapshot(engine) == first


async def test_rebuild_from_the_log_gives_identical_rows_and_a_trimmed_stream_is_caught_up(
    rt: HubRuntime, redis: Redis, engine: Engine, sync_redis: redis_sync.Redis
) -> None:
    assert isinstance(rt.clock, FakeClock)
    numbers = await make_cases(rt, redis, rt.clock)
    copier = Copier(engine, sync_redis, rt.keys, batch_max=50)
    copy_all(copier)
    rebuild(engine, sync_redis, rt.keys, rt.district)
    copied = snapshot(engine)
    assert len(copied["places"]) > 100 and len(copied["people"]) > 100
    rebuild(engine, sync_redis, rt.keys, rt.district)
    assert snapshot(engine) == copied
    # the copier is away while the stream is trimmed past its position: the events it
    # never saw on the stream come from the case logs
    await more_events(rt, numbers, rt.clock)
    await redis.xtrim(rt.keys.changes, maxlen=2, approximate=False)
    b = copier.copy_batch()
    assert b.caught_up_from_logs == len(numbers), b
    assert count(engine, events) == await events_in_redis(rt, redis)
    caught_up = snapshot(engine)
    rebuild(engine, sync_redis, rt.keys, rt.district)
    assert snapshot(engine) == caught_up


def _config(tmp: Path, settings: HubSettings, database_url: str, batch_max: int) -> Path:
    cfg = tmp / "hub-records.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "district_dir": str(settings.district_dir),
                "redis": {"url": settings.redis.url, "key_prefix": settings.redis.key_prefix},
                "records": {"database_url": database_url, "batch_max": batch_max},
            }
        )
    )
    return cfg


def _records(action: str, cfg: Path, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWALL_")}
    if fault:
        env["GRIDWALL_HUB_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "hub", "records", action, "--config", str(cfg)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_copier_killed_mid_batch_loses_and_duplicates_nothing(
    rt: HubRuntime,
    redis: Redis,
    engine: Engine,
    database_url: str,
    hub_settings: HubSettings,
    tmp_path: Path,
    sync_redis: redis_sync.Redis,
) -> None:
    assert isinstance(rt.clock, FakeClock)
    numbers = await make_cases(rt, redis, rt.clock)
    total = await events_in_redis(rt, redis)
    cfg = _config(tmp_path, hub_settings, database_url, batch_max=5)
    # SIGKILL inside the third batch's transaction: two batches committed, the third not
    died = _records("copy", cfg, fault="kill:records_mid_batch@3")
    assert died.returncode == -9, died.stderr
    with engine.connect() as conn:
        pos = conn.execute(select(records_position.c.last_id)).scalar_one()
    entries: Any = await redis.xrange(rt.keys.changes, count=10)
    assert pos == entries[9][0].decode()  # the end of the second batch
    copied = count(engine, events)
    assert 0 < copied < total
    # started again (in this process: the kill above was the subprocess's part)
    assert copy_pending(Copier(engine, sync_redis, rt.keys, batch_max=5)) == total - copied
    assert count(engine, events) == total
    after_kill = snapshot(engine)
    assert len(after_kill["cases"]) == len(numbers)
    rebuilt = _records("rebuild", cfg)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"rebuilt {len(numbers)} cases, {total} events" in rebuilt.stdout
    assert snapshot(engine) == after_kill


async def test_the_hub_copies_as_cases_change_and_exports_its_lag(
    hub_settings: HubSettings, redis: Redis, database_url: str
) -> None:
    settings = hub_settings.model_copy(
        update={"records": RecordsSettings(database_url=database_url)}
    )
    clock = FakeClock(MONDAY_9)
    rt = HubRuntime(settings, clock=clock, mqtt=False, workers=True, timer_loop=False)
    await rt.start()
    try:
        assert rt.records is not None
        e = rt.records.engine
        await make_cases(rt, redis, clock, cameras=3)  # the hub's own worker races it

        async def copied() -> bool:
            n = await asyncio.to_thread(count, e, events)
            return n > 0 and n == await events_in_redis(rt, redis)

        await wait_for(copied, 30)
        numbers = [as_text(n) for n in await redis.zrange(rt.keys.cases, 0, -1)]
        assert len(numbers) == 3
        assert await rt.records.refresh_lag() == 0.0
        with e.connect() as conn:
            got = conn.execute(select(cases.c.case_no).order_by(cases.c.case_no)).scalars()
            assert list(got) == sorted(numbers)
        # with the copier stopped, a new change ages on the stream: the lag grows
        task = next(t for t in rt._tasks if t.get_name() == "records")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await rt.cases.act(numbers[0], "note", "operator:op1", note="later")
        await asyncio.sleep(0.3)
        assert await rt.records.refresh_lag() >= 0.25
    finally:
        await rt.stop()

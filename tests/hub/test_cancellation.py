"""``stop_tasks`` bounds a stop even for a loop that lost its cancel, names that loop, and
still reports a task that crashed; the hub's Redis client never sends through wait_for."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest

from hub.services import cancellation
from hub.services.cancellation import stop_tasks
from hub.settings import RedisSettings
from hub.store.redis_client import hub_redis

LOSES_CANCELS = sys.version_info < (3, 12)


async def _unguarded(futures: asyncio.Queue[asyncio.Future[int]]) -> None:
    """A loop without ``raise_if_cancelled``: each turn awaits one operation via wait_for."""
    while True:
        await asyncio.wait_for(await futures.get(), timeout=5)


async def test_a_loop_that_lost_its_cancel_is_cancelled_again_and_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger=cancellation.__name__)
    loop = asyncio.get_running_loop()
    futures: asyncio.Queue[asyncio.Future[int]] = asyncio.Queue()
    task = asyncio.create_task(_unguarded(futures), name="reader")
    op: asyncio.Future[int] = loop.create_future()
    await futures.put(op)
    for _ in range(5):  # the loop is waiting inside wait_for
        await asyncio.sleep(0)
    op.set_result(1)  # the operation completes ...
    stopping = asyncio.create_task(stop_tasks([task], grace_s=0.2))  # ... as the stop lands
    await futures.put(loop.create_future())  # the next operation never completes
    await asyncio.wait_for(stopping, timeout=2)
    assert task.cancelled()
    named = [r.getMessage() for r in caplog.records]
    if LOSES_CANCELS:
        assert len(named) == 1 and "'reader'" in named[0], named
    else:
        assert named == []


async def test_a_stop_of_well_behaved_tasks_is_quiet_and_quick(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger=cancellation.__name__)
    tasks = [asyncio.create_task(asyncio.sleep(60), name=f"t{i}") for i in range(3)]
    await asyncio.sleep(0)
    t0 = asyncio.get_running_loop().time()
    await stop_tasks(tasks)
    assert asyncio.get_running_loop().time() - t0 < 0.1
    assert all(t.cancelled() for t in tasks)
    assert caplog.records == []


async def test_a_crashed_task_is_reported_after_the_others_have_ended() -> None:
    async def crash() -> None:
        raise RuntimeError("loop broke on 'edge-07'")

    broken = asyncio.create_task(crash())
    sleeper = asyncio.create_task(asyncio.sleep(60))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="edge-07"):
        await stop_tasks([broken, sleeper])
    assert sleeper.cancelled()


@pytest.mark.parametrize("grace_s", [0.0, -1.0])
async def test_a_grace_that_is_not_positive_is_refused(grace_s: float) -> None:
    with pytest.raises(ValueError, match=f"grace_s must be > 0, got {grace_s}"):
        await stop_tasks([], grace_s=grace_s)


@pytest.mark.integration
async def test_the_hub_redis_client_has_no_socket_timeout(redis_url: str) -> None:
    r = hub_redis(RedisSettings(url=redis_url))
    try:
        assert await r.ping()
        conn = await r.connection_pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            assert conn.socket_timeout is None  # so no command goes through wait_for
            assert conn.socket_connect_timeout == 5.0
            assert conn.socket_keepalive
        finally:
            await r.connection_pool.release(conn)
    finally:
        await r.aclose()

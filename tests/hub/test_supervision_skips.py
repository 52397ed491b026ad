"""The supervision scan over real Redis with broken case records beside a good one: a record
without ``case_no`` and a case whose log has no policy are skipped, counted and logged, and
the good case that turned red still gets its notice (before, the first KeyError ended the
whole scan)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from contracts.codec import encode
from hub.domain.clock import FakeClock
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from hub.store.keys import text
from tests.hub.conftest import MONDAY_9, make_alert


@pytest.fixture
async def rt(hub_settings: HubSettings, redis: Redis) -> AsyncIterator[HubRuntime]:
    runtime = HubRuntime(
        hub_settings, clock=FakeClock(MONDAY_9), mqtt=False, workers=False, timer_loop=False
    )
    await runtime.start()
    yield runtime
    await runtime.stop()


async def test_scan_skips_records_without_case_no_or_policy_and_still_gives_notices(
    rt: HubRuntime, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    clock = rt.clock
    assert isinstance(clock, FakeClock)
    alert = make_alert("edge-01", started_at_ms=MONDAY_9, updated_at_ms=MONDAY_9)
    await redis.xadd(rt.keys.inbox, {"k": "event", "p": encode(alert), "rx": 0})
    while await rt.processor.step():
        pass
    good = text((await redis.zrange(rt.keys.cases, 0, -1))[0])
    raw_record = await redis.hgetall(rt.keys.case(good))
    record: dict[FieldT, EncodableT] = {text(k): text(v) for k, v in raw_record.items()}
    assert record["state"] in ("reported", "filed", "dispatched")

    # a case whose log lost its policy (an old or hand-imported log)
    bare = "33990120261123199998"
    for raw in await redis.lrange(rt.keys.case_events(good), 0, -1):
        ev = json.loads(raw)
        ev["data"].pop("policy", None)
        await redis.rpush(rt.keys.case_events(bare), json.dumps(ev))
    await redis.hset(rt.keys.case(bare), mapping={**record, "case_no": bare})
    # a half-written record: state but no case_no
    ghost = "33990120261123199999"
    await redis.hset(rt.keys.case(ghost), mapping={"state": record["state"]})
    await redis.zadd(rt.keys.cases, {bare: MONDAY_9, ghost: MONDAY_9})

    clock.advance(minutes=24 * 60)  # every limit long past: red
    with caplog.at_level(logging.WARNING, logger="hub.supervision.service"):
        given = await rt.supervision.scan()
    assert given == 1
    assert dict(rt.supervision.skipped) == {
        "record without case_no": 1,
        "no policy in its log": 1,
    }
    assert (
        "supervision scan skipped 2 case(s): 1 no policy in its log, 1 record without case_no"
        in caplog.text
    )
    notes = [
        json.loads(x)
        for x in await redis.lrange(rt.keys.case_events(good), 0, -1)
        if json.loads(x)["data"].get("supervision") == "notice"
    ]
    assert len(notes) == 1
    board = await rt.supervision.board()
    assert {c["case_no"] for c in board} == {good, bare}  # the board shows what it can

"""Must show: a correlation worker that dies at any step after the batch script (before a
case is stored, after it, between a reopen and its dispatch, before the queued-alarm change,
before the inbox ack), followed by a redelivery of its entries, leaves Redis exactly as a
worker that never died.

One batch exercises every follow-up the script can ask for: a new case, a merge (a second
camera on the same site), a reopen of a recently closed case (reopen, then dispatch) and an
alarm queued for an operator. A baseline run without a crash gives the expected state; each
crash run dies at one point (``GRIDWALL_HUB_FAULT=raise:POINT@N``), then its entries are
redelivered (replayed by the same consumer, as a restarted hub does, or claimed by another,
as a surviving hub does) and every key under the run's prefix is compared with the
baseline's, streams by their entries' contents.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from contracts.codec import encode
from hub.domain.clock import FakeClock
from hub.runtime import HubRuntime
from hub.services import faults
from hub.services.processor import GROUP, Processor
from hub.settings import HubSettings
from hub.store.keys import text
from tests.hub.conftest import MONDAY_9, key_root, make_alert

pytestmark = pytest.mark.integration

# (point, occurrence, who redelivers): the follow-ups run in batch order: the new case
# (stored), the merge's attach (case event 1), the reopen (event 2) and its dispatch
# (event 3), the queued-alarm change, then the ack
CRASHES = [
    ("after_script", 1, "same"),
    ("after_script", 1, "other"),
    ("after_case_stored", 1, "same"),
    ("after_case_event", 1, "other"),
    ("after_case_event", 2, "same"),
    ("after_case_event", 3, "other"),
    ("before_ack", 1, "same"),
]
RECURRING = ("cam-03", "edge-01")


@pytest.fixture
async def redis(redis_url: str, redis_prefix: str) -> AsyncIterator[Redis]:
    r = Redis.from_url(redis_url)
    yield r
    keys = [k async for k in r.scan_iter(match=f"{redis_prefix}*", count=1000)]
    for i in range(0, len(keys), 500):
        await r.delete(*keys[i : i + 500])
    await r.aclose()


def _settings(base: HubSettings, prefix: str) -> HubSettings:
    return base.model_copy(update={"redis": base.redis.model_copy(update={"key_prefix": prefix})})


async def _feed(r: Redis, rt: HubRuntime, payloads: list[bytes]) -> None:
    for p in payloads:
        await r.xadd(rt.keys.inbox, {"k": "event", "p": p, "rx": 0})


async def _prepare(r: Redis, rt: HubRuntime, clock: FakeClock) -> list[bytes]:
    """A case on cam-03 filed, worked and closed; then the batch under test."""
    cam, box = RECURRING
    await _feed(r, rt, [encode(make_alert(box, camera_id=cam, event_id="ev-first-0001"))])
    assert await rt.processor.step() == 1
    (no,) = [text(n) for n in await r.zrange(rt.keys.cases, 0, -1)]
    for action in ("accept", "start", "resolve", "verify", "close"):
        await rt.cases.act(no, action, "p-339901001001007-m")
    clock.advance(minutes=10)  # past the re-arm delay: the same place again reopens the case
    at = clock.now_ms()
    batch = [
        make_alert("edge-01", event_id="ev-new-00001", started_at_ms=at, updated_at_ms=at),
        make_alert(
            "edge-01",
            camera_id="cam-91",
            event_id="ev-twin-0001",
            started_at_ms=at,
            updated_at_ms=at,
        ),
        make_alert(box, camera_id=cam, event_id="ev-again-001", started_at_ms=at, updated_at_ms=at),
        make_alert(
            "edge-02",
            camera_id="cam-06",
            event_id="ev-unsure-01",
            confidence=0.6,
            started_at_ms=at,
            updated_at_ms=at,
        ),
    ]
    return [encode(a) for a in batch]


async def _state(r: Redis, prefix: str) -> dict[str, Any]:
    """Every key under ``prefix`` but the inbox, by type; streams as their entries' fields."""
    out: dict[str, Any] = {}
    async for raw in r.scan_iter(match=f"{prefix}:*", count=1000):
        key = text(raw)
        name = key[len(prefix) :]
        if name == ":inbox":
            continue
        kind = text(await r.type(key))
        if kind == "string":
            out[name] = text(await r.get(key))
        elif kind == "hash":
            out[name] = {text(k): text(v) for k, v in (await r.hgetall(key)).items()}
        elif kind == "list":
            out[name] = [text(x) for x in await r.lrange(key, 0, -1)]
        elif kind == "set":
            out[name] = sorted(text(x) for x in await r.smembers(key))
        elif kind == "zset":
            scored: Any = await r.zrange(key, 0, -1, withscores=True)
            out[name] = [(text(m), score) for m, score in scored]
        elif kind == "stream":
            rows: Any = await r.xrange(key)
            out[name] = [{text(k): text(v) for k, v in f.items()} for _, f in rows]
        else:
            raise AssertionError(f"{key}: unexpected type {kind}")
    return out


async def _run(
    r: Redis, base: HubSettings, prefix: str, crash: tuple[str, int, str] | None
) -> tuple[dict[str, Any], list[str]]:
    clock = FakeClock(MONDAY_9)
    settings = _settings(base, prefix)
    rt = HubRuntime(settings, clock=clock, mqtt=False, workers=False, timer_loop=False)
    await rt.start()
    outcomes: list[str] = []
    try:
        batch = await _prepare(r, rt, clock)
        await _feed(r, rt, batch)
        if crash is None:
            assert await rt.processor.step() == len(batch)
        else:
            point, nth, who = crash
            faults.reset()
            mp = pytest.MonkeyPatch()
            mp.setenv(faults.ENV, f"raise:{point}@{nth}")
            try:
                with pytest.raises(faults.Crash):
                    await rt.processor.step()
            finally:
                mp.undo()
            pending: Any = await r.xpending(rt.keys.inbox, GROUP)
            assert pending["pending"] == len(batch), "the crashed batch stays pending"
            if who == "same":  # a restarted hub replays its own entries first
                await rt.processor._drain("0")
            else:  # a surviving hub claims them
                other = Processor(
                    rt.redis, rt.keys, rt.ctx, rt.cases, clock, "other-hub", claim_idle_ms=0
                )
                await other._claim_stale()
        pending = await r.xpending(rt.keys.inbox, GROUP)
        assert pending["pending"] == 0
        for key in ("cam-01:ground:06010", "cam-91:ground:06010", "cam-03:ground:06010"):
            outcomes.append(text(await r.hget(rt.keys.alarm(key), "case_no") or b""))
    finally:
        await rt.stop()
    return await _state(r, key_root(prefix)), outcomes


async def test_a_crash_at_any_follow_up_step_then_redelivery_ends_as_no_crash(
    hub_settings: HubSettings, redis: Redis, redis_prefix: str
) -> None:
    expected, cases = await _run(redis, hub_settings, f"{redis_prefix}base", None)
    # the batch did what it is meant to: one case for the site (two cameras), the old case
    # reopened and dispatched again, the unsure alarm queued for an operator
    new_case, twin_case, old_case = cases
    assert new_case == twin_case and new_case and old_case and new_case != old_case
    actions = [json.loads(e)["action"] for e in expected[f":case:{old_case}:events"]]
    assert actions[-2:] == ["reopen", "dispatch"]
    assert [f["kind"] for f in expected[":changes"]].count("alarm_queued") == 1
    assert any(m == f"esc|{new_case}|0" for m, _ in expected[":timers"])
    differ: list[str] = []
    for i, crash in enumerate(CRASHES):
        got, _ = await _run(redis, hub_settings, f"{redis_prefix}c{i}", crash)
        if got != expected:
            keys = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
            differ.append(f"{crash}: {keys}")
    assert not differ, "a crash then a redelivery left a different state:\n" + "\n".join(differ)

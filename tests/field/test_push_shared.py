"""Two hub processes' push fan-outs share the push policy's memory in Redis: a change offered
to both at once is pushed once, updates handled by different processes fold into one push per
coalescing window, and the held push is released by one of them only. Pushes are counted
where a phone would get them: the responders' topics on the real Mosquitto broker."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis

from contracts.messages import ResponderPush
from hub.domain.clock import FakeClock
from hub.domain.push_policy import PushPolicy, PushPolicyConfig
from hub.push.fanout import PushFanout
from hub.push.mqtt_channel import MqttPushChannel
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from hub.store.cases import CaseStore
from tests.field.harness import Listener
from tests.hub.conftest import MONDAY_9, Publisher, wait_for

pytestmark = pytest.mark.integration
WINDOW_S = 20
CONFIG = PushPolicyConfig(coalesce_s=WINDOW_S, quiet_s=600, max_per_minute=6)


class CountingFanout(PushFanout):
    """A fan-out that counts the changes it handled (which process got which)."""

    handled = 0

    async def on_case_event(self, case_no: str, event: dict[str, Any]) -> list[ResponderPush]:
        self.handled += 1
        return await super().on_case_event(case_no, event)


@dataclass
class Process:
    fanout: CountingFanout
    redis: Redis
    channel: MqttPushChannel


@pytest.fixture
async def rt(hub_settings: HubSettings, redis: Redis) -> AsyncIterator[HubRuntime]:
    runtime = HubRuntime(hub_settings, clock=FakeClock(MONDAY_9), timer_loop=False)
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
async def two(
    rt: HubRuntime, hub_settings: HubSettings, redis_url: str
) -> AsyncIterator[list[Process]]:
    procs = []
    for name in ("hub-a", "hub-b"):
        r = Redis.from_url(redis_url)  # each process its own connection
        channel = MqttPushChannel(hub_settings.mqtt, f"{name}-{rt.keys.prefix}")
        await asyncio.to_thread(channel.start)
        store = CaseStore(r, rt.keys, hub_settings.ingest.changes_max)
        fanout = CountingFanout(
            r, rt.keys, store, rt.district, rt.clock, [channel], PushPolicy(CONFIG), name
        )
        procs.append(Process(fanout, r, channel))
    yield procs
    for p in procs:
        p.channel.stop()
        await p.redis.aclose()


async def last_change(redis: Redis, rt: HubRuntime) -> dict[str, Any]:
    entries: Any = await redis.xrevrange(rt.keys.changes, count=1)
    return dict(json.loads(entries[0][1][b"event"]))


def pushes(listener: Listener) -> list[ResponderPush]:
    return [ResponderPush.model_validate_json(m[2]) for m in listener.on("/push")]


async def settled(listener: Listener, want: int) -> list[ResponderPush]:
    """The pushes on the broker once ``want`` arrived and a further 0.5 s brought no more."""
    await wait_for(lambda: _at_least(listener, want), 5)
    await asyncio.sleep(0.5)
    return pushes(listener)


async def _at_least(listener: Listener, n: int) -> bool:
    return len(pushes(listener)) >= n


async def test_two_processes_push_once_per_coalescing_window(
    rt: HubRuntime,
    two: list[Process],
    redis: Redis,
    publisher: Publisher,
    mqtt_url: str,
    topic_prefix: str,
) -> None:
    clock = rt.clock
    assert isinstance(clock, FakeClock)
    a, b = (p.fanout for p in two)
    listener = Listener(mqtt_url, [f"{topic_prefix}/v1/responder/+/push"])
    try:
        publisher.alert("edge-01")

        async def dispatched() -> str | None:
            numbers = await rt.store.recent_numbers(5)
            if numbers and (await rt.store.view(numbers[0])).state == "dispatched":
                return numbers[0]
            return None

        no = await wait_for(dispatched, 10)
        people = set((await rt.store.view(no)).assignees)
        assert len(people) == 2
        dispatch = await last_change(redis, rt)
        assert dispatch["action"] == "dispatch"
        t0 = clock.now_ms()

        # 1. both processes offered the same dispatch at the same moment: one push each person
        sent_a, sent_b = await asyncio.gather(
            a.on_case_event(no, dispatch), b.on_case_event(no, dispatch)
        )
        assert sorted(p.person_id for p in sent_a + sent_b) == sorted(people)
        first = await settled(listener, len(people))
        assert Counter(p.person_id for p in first) == dict.fromkeys(people, 1)
        assert {p.kind for p in first} == {"dispatch"}

        # 2. three updates inside the window, handled by alternating processes: all held
        for i, fanout in enumerate((b, a, b)):
            clock.advance(seconds=2)
            await rt.cases.act(no, "note", "operator:op1", note=f"update {i}")
            assert await fanout.on_case_event(no, await last_change(redis, rt)) == []
        clock.set(t0 + WINDOW_S * 1000 - 1)
        assert await a.release_due() == [] and await b.release_due() == []

        # 3. the window ends: both processes look for due pushes, one releases each person's
        clock.set(t0 + WINDOW_S * 1000)
        rel_a, rel_b = await asyncio.gather(a.release_due(), b.release_due())
        released = rel_a + rel_b
        assert sorted(p.person_id for p in released) == sorted(people)
        assert {(p.kind, p.updates) for p in released} == {("update", 3)}
        assert await a.release_due() == [] and await b.release_due() == []
        second = await settled(listener, 2 * len(people))
        assert Counter(p.person_id for p in second) == dict.fromkeys(people, 2)

        # 4. both running their loops on the consumer group, whichever gets a change: four
        # more updates in the next window still make one push per person
        await a.ensure_group()
        loops = [asyncio.create_task(f.run()) for f in (a, b)]
        try:
            handled_before = a.handled + b.handled
            t1 = clock.now_ms()
            for i in range(4):
                clock.advance(seconds=1)
                await rt.cases.act(no, "note", "operator:op1", note=f"again {i}")
                await asyncio.sleep(0.05)
            await wait_for(lambda: _handled(a, b, handled_before + 4), 5)
            await asyncio.sleep(0.6)  # a full loop turn of each: nothing is due yet
            assert len(pushes(listener)) == 2 * len(people)
            clock.set(t1 + WINDOW_S * 1000)
            third = await settled(listener, 3 * len(people))
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
        assert Counter(p.person_id for p in third) == dict.fromkeys(people, 3)
        assert {p.updates for p in third[-len(people) :]} == {4}
        assert a.failures == b.failures == 0
        split = (a.handled - 2, b.handled - 3)  # loop-handled changes per process
        print(f"changes handled by the loops: hub-a {split[0]}, hub-b {split[1]}")
        print(f"decisions retried after a concurrent write: {a.policy.retries + b.policy.retries}")
    finally:
        listener.close()


async def _handled(a: CountingFanout, b: CountingFanout, n: int) -> bool:
    return a.handled + b.handled >= n


async def test_closing_a_case_forgets_its_push_memory(
    rt: HubRuntime, two: list[Process], redis: Redis
) -> None:
    """What a closed case leaves behind is removed from Redis, held pushes included."""
    policy = two[0].fanout.policy
    now = int(time.time() * 1000)
    await policy.offer("p1", "c9", "dispatch", now)
    held = await policy.offer("p1", "c9", "update", now + 1000)
    assert held.verdict == "hold" and await policy.next_due_ms() == now + WINDOW_S * 1000
    assert await redis.exists(f"{rt.keys.prefix}:push:track:p1:c9")
    await two[1].fanout.policy.forget("c9")
    assert not await redis.exists(f"{rt.keys.prefix}:push:track:p1:c9")
    assert await policy.next_due_ms() is None
    assert await policy.due(now + 10**6) == []

"""Must show: with Redis as a primary and a replica under three sentinels, a ``kill -9`` of
the primary while alerts stream in through the real broker makes the hub (its running parts
on the shipped settings with ``GRIDWALL_REDIS_SENTINELS``, in this process: a hub process
would take longer to start than the whole failover) carry on against the promoted replica
within ``RESUME_S``, losing no alert outside the replication window.

The bound asserted, and why: the replica copies the primary's writes asynchronously, a few
milliseconds behind on a quiet link; the hub acknowledges an alert to the broker once the
primary has it, so what the primary took and had not yet sent on when it died is lost. The
window stated is ``WINDOW_S`` (1 s, hundreds of times the usual lag, so a loaded machine
stays inside it): ``lost <= inbox entries the primary took in the WINDOW_S before the kill``
(the inbox's length polled every 50 ms), and every case made before the window is on the new
primary under its number. Expected loss on a healthy link: 0. Without Sentinel (the hub on
the primary's URL) it never resumes: the test then fails at ``RESUME_S``.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from hub.runtime import HubRuntime
from hub.settings import load_hub_settings
from tests.hub.conftest import key_root
from tests.trust.hub_rig import SHIPPED, Stream, inbox_alerts, until
from tests.trust.sentinel_rig import DOWN_AFTER_MS, SentinelGroup
from tests.trust.test_redis_durability import case_times

pytestmark = [pytest.mark.integration, pytest.mark.slow]
WINDOW_S = 1.0  # asynchronous replication: what the primary took this close to its death
RESUME_S = 15.0  # kill → the hub stores alerts on the promoted replica
RATE = 100  # alerts/s
TOTAL = 600
KILL_STORED = 250  # the kill comes once the primary holds this many alerts
OLD_STORED = 150  # of which at least this many since more than WINDOW_S (so the test can tell)


async def test_kill9_of_the_primary_fails_the_hub_over_to_the_replica(
    mqtt_url: str, topic_prefix: str, redis_prefix: str, tmp_path: Path
) -> None:
    port = httpx.URL(mqtt_url.replace("mqtt://", "http://")).port or 1883
    group = SentinelGroup(tmp_path / "redis")
    group.start()
    env = {
        "GRIDWALL_MQTT_URL": mqtt_url,
        "GRIDWALL_REDIS_URL": "redis://127.0.0.1/0",  # database only: Sentinel says where
        "GRIDWALL_REDIS_SENTINELS": group.addresses,
        "GRIDWALL_TOPIC_PREFIX": topic_prefix,
        "GRIDWALL_REDIS_PREFIX": redis_prefix,
    }
    hub = HubRuntime(load_hub_settings(SHIPPED, env=env))
    stream = Stream(port, topic_prefix)
    inbox = f"{key_root(redis_prefix)}:inbox"
    primary = Redis(port=group.primary.port)
    promoted = Redis(port=group.replica.port)
    try:
        await hub.start()
        stream.start(TOTAL, per_s=RATE)
        history: list[tuple[float, int]] = []  # (monotonic s, inbox length on the primary)
        deadline = time.monotonic() + 60
        while True:
            now, n = time.monotonic(), int(await primary.xlen(inbox))
            history.append((now, n))
            old = max((m for t, m in history if t <= now - WINDOW_S), default=0)
            if n >= KILL_STORED and old >= OLD_STORED:
                break
            assert len(stream.acked) < TOTAL, "the stream ended before the primary held enough"
            assert now < deadline, f"the primary held {n} alerts after 60 s"
            await asyncio.sleep(0.05)
        cases = f"{key_root(redis_prefix)}:cases"
        old_cases = await case_times(primary, cases, time.time() * 1000 - WINDOW_S * 1000)
        at_kill, stored_at_kill = time.monotonic(), int(await primary.xlen(inbox))
        group.primary.kill9()
        before = [n for t, n in history if t <= at_kill - WINDOW_S]
        bound = stored_at_kill - (before[-1] if before else 0)
        acked_at_kill = len(stream.acked)
        await primary.aclose()

        async def promoted_port() -> int | None:
            p = await asyncio.to_thread(group.master_port)
            return p if p == group.replica.port else None

        await until(promoted_port, RESUME_S, "Sentinel promoting the replica")
        failover_s = time.monotonic() - at_kill
        survived = int(await promoted.xlen(inbox))

        async def resumed() -> bool:
            return int(await promoted.xlen(inbox)) > survived

        try:
            await until(resumed, RESUME_S - failover_s, "the hub storing alerts again")
        except AssertionError:
            raise AssertionError(f"the hub did not resume:\n{group.log_tails()}") from None
        resume_s = time.monotonic() - at_kill
        await stream.join(timeout_s=120)
        tail = set(stream.acked[acked_at_kill:])

        async def tail_stored() -> bool:
            return tail <= await inbox_alerts(promoted, redis_prefix)

        await until(tail_stored, 60, "every alert acknowledged after the kill on the replica")
        got = await inbox_alerts(promoted, redis_prefix)
        lost = len(set(stream.acked) - got)
        now_cases = await case_times(promoted, cases, float("inf"))
        lost_cases = [no for no, at in old_cases.items() if now_cases.get(no) != at]

        async def all_correlated() -> bool:
            groups = await promoted.xinfo_groups(inbox)
            return bool(groups) and all(not g["lag"] and not g["pending"] for g in groups)

        await until(all_correlated, 30, "the correlator through the inbox on the replica")
        print(
            f"primary kill -9 after {acked_at_kill} acknowledged alerts ({stored_at_kill} in "
            f"the inbox, {survived} on the replica when promoted); replica promoted "
            f"{failover_s:.2f} s after the kill (down-after {DOWN_AFTER_MS} ms), the hub "
            f"stored again {resume_s:.2f} s after it; {len(stream.acked)} acknowledged, "
            f"{len(got)} stored, {lost} lost; bound {bound} (taken in the {WINDOW_S} s before "
            f"the kill); cases made before the window {len(old_cases)}, lost or renumbered "
            f"{len(lost_cases)}; load average {os.getloadavg()[0]:.1f}"
        )
        assert stored_at_kill - bound >= OLD_STORED
        assert old_cases, "no case made before the window"
        assert lost <= bound
        assert not lost_cases
        assert resume_s <= RESUME_S
        assert not [t.get_name() for t in hub._tasks if t.done()], "a hub loop ended"
    finally:
        stream.close()
        await hub.stop()
        await primary.aclose()
        await promoted.aclose()
        group.close()

"""Must show, with the shipped ``configs/hub.yaml`` unchanged (only the broker, Redis, topic
and key prefixes and the HTTP port come from the environment, as for any deployment):

1. ``kill -9`` of the hub while alerts stream in, then a restart: every alert the broker
   acknowledged to the box reaches Redis (the restarted hub resumes its own session: the
   same instance name, nothing pinned);
2. a second hub started on the same host with the same config gets a session of its own,
   and its clean stop ends that session: no share of the group is left behind, every
   alert published afterwards reaches the remaining hub;
3. the last hub's clean stop keeps its session (parked), so alerts published while no hub
   runs are queued by the broker and reach the hub when it is back.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.trust.hub_rig import SHIPPED, HubProc, Records, Stream, inbox_alerts, soon, until, value

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_the_shipped_hub_loses_no_acknowledged_alert_to_kill9_restart_or_stop(
    mqtt_url: str,
    redis_url: str,
    topic_prefix: str,
    redis_prefix: str,
    redis: Redis,
    tmp_path: Path,
) -> None:
    port = httpx.URL(mqtt_url.replace("mqtt://", "http://")).port or 1883
    env = {
        "GRIDWALL_MQTT_URL": mqtt_url,
        "GRIDWALL_REDIS_URL": redis_url,
        "GRIDWALL_TOPIC_PREFIX": topic_prefix,
        "GRIDWALL_REDIS_PREFIX": redis_prefix,
    }
    records = Records(port, topic_prefix, "hub")  # the shipped config's group
    one = HubProc(SHIPPED, env, tmp_path / "hub-1.log")
    two = HubProc(SHIPPED, env, tmp_path / "hub-2.log")
    stream = Stream(port, topic_prefix)

    async def stored_all() -> bool:
        return set(stream.acked) <= await inbox_alerts(redis, redis_prefix)

    try:
        # 1. kill -9 mid-stream, start again at once
        one.start()
        await one.ready()
        first = await soon(lambda: value(records.of(one.pid)), 10)
        stream.start(300, per_s=50)
        await until(lambda: value(len(stream.acked) >= 100), 20, "100 alerts acknowledged")
        one.kill9()
        killed_at = len(stream.acked)
        one.start()
        await one.ready()
        again = await soon(lambda: value(records.of(one.pid)), 10)
        two.start()  # for part 2, while the stream goes on
        await stream.join()
        try:
            await until(stored_all, 30, "every acknowledged alert in Redis")
        finally:
            got = await inbox_alerts(redis, redis_prefix)
            lost = len(set(stream.acked) - got)
            print(
                f"kill -9 after {killed_at} of {len(stream.acked)} acknowledged alerts, "
                f"restart: {len(got)} stored, {lost} lost; session {first and first[0]} -> "
                f"{again and again[0]}"
            )
        assert first is not None and again is not None, "no membership records"
        assert again[0] == first[0]  # the same session, resumed

        # 2. a second hub on this host: its own session; its clean stop leaves the group
        await two.ready()
        second = await until(lambda: value(records.of(two.pid)), 10, "hub 2's live record")
        assert second[0] != first[0] and second[1]["state"] == "live"
        two.terminate()
        await until(lambda: value(second[0] not in records.records), 5, "hub 2's record gone")
        assert not records.session_present(second[0]), "hub 2 left its session on the broker"
        stream.start(100, per_s=200)
        await stream.join()
        await until(stored_all, 20, "every alert after hub 2's stop in Redis")

        # 3. the last hub's clean stop parks its session; what comes meanwhile is kept
        one.terminate()
        await until(lambda: value(records.state(first[0]) == "parked"), 5, "hub 1 parked")
        stream.start(50, per_s=200)
        await stream.join()
        one.start()
        await one.ready()
        await until(stored_all, 20, "the alerts sent while no hub ran in Redis")
        print(f"{len(stream.acked)} alerts acknowledged in all, every one stored")
    finally:
        stream.close()
        for h in (one, two):
            h.close()
        records.close()

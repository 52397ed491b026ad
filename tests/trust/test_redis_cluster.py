"""Must show: Redis Cluster is a configuration. On a local cluster of three primaries (started
here, ``tests.trust.cluster_rig``) a hub process (``python -m hub run`` on the shipped settings
with ``GRIDWALL_REDIS_CLUSTER``, so every part it starts runs: ingest, correlation, cases, the
push fan-out, the wall, webhooks, KPIs) ingests alerts through the real broker, files cases
(``ALARM_BATCH``, ``CASE_APPEND`` with its side effects, in a transaction), queues a
low-confidence alarm and files it when the operator confirms it (``FILE_ALARM``), decides the
cases' pushes (a watched transaction) and answers the API. Every key it wrote carries the
district's hash tag and lives on the one primary that serves that slot, and its log holds no
Redis error.

A script that touched a key it did not declare, a key without the tag, or a command a
cluster pipeline refuses fails here: the cluster client routes a script by its declared keys,
and a node refuses a key whose slot it does not serve.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from hub.settings import RedisSettings
from hub.store.redis_client import sync_redis
from tests.hub.conftest import Publisher, key_root
from tests.trust.cluster_rig import LocalCluster
from tests.trust.hub_rig import SHIPPED, HubProc, until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CLUSTER = "GRIDWALL_REDIS_CLUSTER"
OP = {"Authorization": "Bearer operator-token-0123456789"}  # HubProc's operator token
# (camera, its box) of the sample district, far enough apart for a case each
CAMERAS = [
    ("cam-01", "edge-01"),
    ("cam-06", "edge-02"),
    ("cam-11", "edge-03"),
    ("cam-15", "edge-04"),
]


async def test_a_hub_process_runs_on_a_three_primary_redis_cluster(
    mqtt_url: str, topic_prefix: str, redis_prefix: str, tmp_path: Path
) -> None:
    broker = httpx.URL(mqtt_url.replace("mqtt://", "http://"))
    cluster = LocalCluster(tmp_path / "cluster")
    hub: HubProc | None = None
    publisher: Publisher | None = None
    try:
        await asyncio.to_thread(cluster.start)
        env = {
            "GRIDWALL_MQTT_URL": mqtt_url,
            "GRIDWALL_REDIS_URL": "redis://127.0.0.1",  # credentials only: the nodes say where
            CLUSTER: cluster.addresses,
            "GRIDWALL_TOPIC_PREFIX": topic_prefix,
            "GRIDWALL_REDIS_PREFIX": redis_prefix,
        }
        hub = HubProc(SHIPPED, env, tmp_path / "hub.log")
        hub.start()
        await hub.ready(60)
        root = key_root(redis_prefix)
        publisher = Publisher(broker.host, broker.port or 1883, topic_prefix)
        for cam, box in CAMERAS:
            publisher.alert(box, camera_id=cam)
        publisher.alert("edge-01", camera_id="cam-02", confidence=0.5)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{hub.port}", headers=OP, timeout=10
        ) as api:

            async def cases() -> list[dict[str, Any]] | None:
                got = list((await api.get("/api/cases")).json())
                return got if len(got) == len(CAMERAS) else None

            async def queued() -> list[dict[str, Any]] | None:
                return list((await api.get("/api/verification-queue")).json()) or None

            no = (await until(cases, 20, "a case per camera"))[0]["case_no"]
            timeline = (await api.get(f"/api/cases/{no}/timeline")).json()
            assert [e["action"] for e in timeline] == ["report", "file", "dispatch"]
            (alarm,) = await until(queued, 10, "the low-confidence alarm queued")
            confirmed = await api.post(f"/api/verification-queue/{alarm['key']}/confirm")
            assert confirmed.status_code == 200, confirmed.text
            assert len((await api.get("/api/cases")).json()) == len(CAMERAS) + 1
        home = cluster.node_of(root)
        with redis.Redis(port=home) as r:

            async def pushes_decided() -> bool:  # the push fan-out's watched transaction
                return bool(await asyncio.to_thread(r.exists, f"{root}:push:people:{no}"))

            await until(pushes_decided, 10, "the pushes of a case decided")
        for node in cluster.nodes:
            with redis.Redis(port=node.port) as r:
                mine = [k.decode() for k in r.scan_iter(match=f"{redis_prefix}*", count=1000)]
            if node.port == home:
                assert all(k.startswith(root + ":") for k in mine), mine[:5]
                assert any(":case:" in k for k in mine) and any(":alarm:" in k for k in mine)
            else:
                assert mine == [], f"district keys on node {node.port}: {mine[:5]}"
        # the blocking client (the case history's copier and commands) on the same cluster
        given = RedisSettings.model_validate({"url": "redis://127.0.0.1", "cluster": env[CLUSTER]})
        blocking = sync_redis(given, socket_timeout=5)
        try:
            assert blocking.hget(f"{root}:case:{no}", "state") is not None
        finally:
            blocking.close()
        log = (tmp_path / "hub.log").read_text(errors="replace")
        assert "redis.exceptions" not in log, log[-3000:]
    finally:
        if publisher is not None:
            publisher.close()
        if hub is not None:
            hub.terminate()
        cluster.close()

"""Must show: Redis Cluster is a configuration. On a local cluster of three primaries (started
here, ``tests.trust.cluster_rig``) a hub given ``redis.cluster`` (what
``GRIDWALL_REDIS_CLUSTER`` sets) ingests alerts through the real broker, files cases
(``ALARM_BATCH``, ``CASE_APPEND`` with its side effects, in a transaction), queues a
low-confidence alarm and files it when the operator confirms it (``FILE_ALARM``), and answers
the API. Every key it wrote carries the district's hash tag and lives on the one primary
that serves that slot.

A script that touched a key it did not declare, or a key without the tag, fails here: the
cluster client routes a script by its declared keys, and a node refuses a key whose slot it
does not serve.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from hub.settings import HubSettings, RedisSettings
from tests.hub.conftest import MONDAY_9, OP, Publisher, running_hub, wait_for
from tests.trust.cluster_rig import LocalCluster

pytestmark = pytest.mark.integration
# (camera, its box) of the sample district
CAMERAS = [
    ("cam-01", "edge-01"),
    ("cam-06", "edge-02"),
    ("cam-11", "edge-03"),
    ("cam-15", "edge-04"),
]


def _on_cluster(settings: HubSettings, cluster: LocalCluster) -> HubSettings:
    given = RedisSettings.model_validate(
        {"url": "redis://127.0.0.1", "key_prefix": settings.redis.key_prefix}
        | {"cluster": cluster.addresses}  # the comma-separated form the environment gives
    )
    return settings.model_copy(update={"redis": given})


async def test_the_hub_runs_on_a_three_primary_redis_cluster(
    hub_settings: HubSettings, mqtt_url: str, topic_prefix: str, tmp_path: Path
) -> None:
    broker = httpx.URL(mqtt_url.replace("mqtt://", "http://"))
    publisher = Publisher(broker.host, broker.port or 1883, topic_prefix)
    cluster = LocalCluster(tmp_path / "cluster")
    try:
        await asyncio.to_thread(cluster.start)
        settings = _on_cluster(hub_settings, cluster)
        async with running_hub(settings) as hub:
            root = hub.rt.keys.prefix
            assert root == f"{settings.redis.key_prefix}:{{339901}}"
            for i, (cam, box) in enumerate(CAMERAS):
                publisher.alert(box, camera_id=cam, updated_at_ms=MONDAY_9 + i)
            publisher.alert("edge-01", camera_id="cam-02", confidence=0.5)

            async def all_cases() -> list[dict[str, Any]] | None:
                cases = await hub.cases()
                return cases if len(cases) == len(CAMERAS) else None

            cases = await wait_for(all_cases, 15)
            no = cases[0]["case_no"]
            detail = await hub.http.get(f"/api/cases/{no}", headers=OP)
            assert detail.status_code == 200, detail.text
            timeline = (await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)).json()
            assert [e["action"] for e in timeline] == ["report", "file", "dispatch"]

            async def queued() -> list[dict[str, Any]] | None:
                got = await hub.http.get("/api/verification-queue", headers=OP)
                return list(got.json()) or None

            (alarm,) = await wait_for(queued, 10)
            confirmed = await hub.http.post(
                f"/api/verification-queue/{alarm['key']}/confirm", headers=OP
            )
            assert confirmed.status_code == 200, confirmed.text
            assert len(await hub.cases()) == len(CAMERAS) + 1
            # every key on the one primary that serves the district's slot
            home = cluster.node_of(root)
            for node in cluster.nodes:
                with redis.Redis(port=node.port) as r:
                    mine = [k.decode() for k in r.scan_iter(match=f"{root}:*", count=1000)]
                if node.port == home:
                    assert len(mine) > 20, mine
                    assert any(":case:" in k for k in mine) and any(":alarm:" in k for k in mine)
                else:
                    assert mine == [], f"district keys on node {node.port}: {mine[:5]}"
    finally:
        publisher.close()
        cluster.close()

"""Must show, with three hub processes of one group on one host (no client id pinned: each
takes an instance number of its own):

- a hub that dies with inbox entries taken and not acknowledged (it kills itself right
  after a batch script, ``GRIDWALL_HUB_FAULT=kill:after_script``) has them claimed and
  finished by another hub;
- the dead hub's MQTT session, which the broker goes on feeding its share of the group,
  is taken over by a live hub within a stated time (``sweep_after_s`` 5 s + the sweep):
  every alert the broker acknowledged to the box reaches Redis;
- then the shared subscription splits the load between the two live hubs (each 30-70%).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from redis.asyncio import Redis

from hub.settings import HubSettings
from tests.hub.conftest import key_root
from tests.trust.hub_rig import HubProc, Records, Stream, inbox_alerts, soon, until, value

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RECOVERY_LIMIT_S = 15.0  # sweep_after_s (5) + the will's one-second tick + the sweep itself


def _config(s: HubSettings, tmp: Path) -> Path:
    cfg = tmp / "hub.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "district_dir": str(s.district_dir),
                "mqtt": {
                    "url": s.mqtt.url,
                    "topic_prefix": s.mqtt.topic_prefix,
                    "shared_group": s.mqtt.shared_group,
                },
                "redis": {"url": s.redis.url, "key_prefix": s.redis.key_prefix},
                "correlation": {"claim_idle_s": 3},
            }
        )
    )
    return cfg


async def test_hubs_split_the_load_and_take_over_a_dead_hubs_entries_and_share(
    hub_settings: HubSettings, redis: Redis, tmp_path: Path
) -> None:
    s = hub_settings
    prefix, group = s.redis.key_prefix, s.mqtt.shared_group
    port = httpx.URL(s.mqtt.url.replace("mqtt://", "http://")).port or 1883
    cfg = _config(s, tmp_path)
    a = HubProc(cfg, {}, tmp_path / "hub-a.log")
    b = HubProc(cfg, {}, tmp_path / "hub-b.log")
    c = HubProc(cfg, {"GRIDWALL_HUB_FAULT": "kill:after_script"}, tmp_path / "hub-c.log")
    records = Records(port, s.mqtt.topic_prefix, group)
    stream = Stream(port, s.mqtt.topic_prefix)

    async def stored_all() -> bool:
        return set(stream.acked) <= await inbox_alerts(redis, prefix)

    try:
        for h in (a, b, c):
            h.start()
        for h in (a, b, c):
            await h.ready()
        c_record = await soon(lambda: value(records.of(c.pid)), 5)

        # the hub that dies: its taken entries and its share of the group
        stream.start(400, per_s=100)
        proc = c.proc
        assert proc is not None
        await until(lambda: value(proc.poll() is not None), 20, "hub C killed itself")
        dead_at, died_after = time.monotonic(), len(stream.acked)
        pending: Any = await redis.xpending(f"{key_root(prefix)}:inbox", "correlate")
        held = {x["name"].decode(): x["pending"] for x in pending["consumers"]}
        await stream.join()
        try:
            await until(stored_all, 30, "every acknowledged alert in Redis")
        finally:
            got = await inbox_alerts(redis, prefix)
            print(
                f"hub C died {died_after} alerts into the stream, inbox entries pending "
                f"{held}; {len(set(stream.acked) - got)} of {len(stream.acked)} lost"
            )

        async def all_correlated() -> bool:
            p: Any = await redis.xpending(f"{key_root(prefix)}:inbox", "correlate")
            return bool(p["pending"] == 0)

        await until(all_correlated, 20, "the dead hub's entries claimed and correlated")
        claimed_s = time.monotonic() - dead_at
        assert c_record is not None, "hub C had no membership record"
        cid = c_record[0]
        await until(lambda: value(cid not in records.records), 10, "C's session swept")
        recovered_s = records.changed_at[cid] - dead_at
        swept = sum([await h.metric("gridwall_hub_swept_messages_total") for h in (a, b)])
        c_taken = sum(n for name, n in held.items() if cid.startswith(name))
        print(
            f"C held {c_taken} inbox entries, all correlated {claimed_s:.1f} s after its death; "
            f"its session swept {recovered_s:.1f} s after ({swept:.0f} messages into Redis)"
        )
        assert c_taken > 0  # C died holding entries...
        assert recovered_s < RECOVERY_LIMIT_S  # ...and its share was back within the limit

        # two live hubs split the stream
        before = [await h.metric("gridwall_hub_ingested_total") for h in (a, b)]
        stream.start(400, per_s=200)
        await stream.join()
        await until(stored_all, 20, "the split stream in Redis")
        after = [await h.metric("gridwall_hub_ingested_total") for h in (a, b)]
        took = [x - y for x, y in zip(after, before, strict=True)]
        shares = [t / sum(took) for t in took]
        print(f"2 hubs: {took[0]:.0f} / {took[1]:.0f} alerts ({shares[0]:.0%} / {shares[1]:.0%})")
        assert sum(took) == 400
        assert all(0.3 <= x <= 0.7 for x in shares), shares
    finally:
        stream.close()
        for h in (a, b, c):
            h.close()
        records.close()

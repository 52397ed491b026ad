"""Redis failovers under a steady alert stream: how long the hub stops, and what is lost.

Starts its own Redis primary and replica (the shipped AOF settings) under three sentinels
(``redis-server --sentinel``; down-after 1000 ms, failover-timeout 3000 ms, quorum 2; see
``tests/trust/sentinel_rig.py``) on free ports, ``--hubs`` hub processes on the shipped
``configs/hub.yaml`` with ``GRIDWALL_REDIS_SENTINELS`` (``python -m hub run``), and streams
``--rate`` alerts/s through the broker (``GRIDWALL_TEST_MQTT_URL``, its own topic prefix).
``--rounds`` times, ``--every-s`` apart and each once the group could fail over again:
``kill -9`` of the primary the sentinels name, then the killed node started again on its
folder (Sentinel makes it a replica of the new primary).

Per round: ``promote_s`` (kill → a majority of sentinels name the other node),
``resume_s`` (kill → the inbox on the new primary grows), ``window_bound`` (inbox entries
the primary took in the 1 s before its kill: what asynchronous replication may lose). At the
end: acknowledged, stored (distinct alerts in the inbox), lost (acknowledged, not stored) and
``lost_outside_window`` (lost minus the rounds' bounds, at least 0: it must be 0). The last
line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hub.conftest import key_root
from tests.trust.hub_rig import SHIPPED, HubProc, Stream, inbox_alerts
from tests.trust.sentinel_rig import DOWN_AFTER_MS, SentinelGroup

WINDOW_S = 1.0


async def _poll_until(probe: Any, since: float, limit_s: float) -> float | None:
    """Seconds from ``since`` until ``probe()`` is true (polled every 20 ms); None when it
    is still false ``limit_s`` after ``since``."""
    while time.monotonic() - since < limit_s:
        if await probe():
            return round(time.monotonic() - since, 2)
        await asyncio.sleep(0.02)
    return None


def _worst(values: list[float | None]) -> float | None:
    """The largest; None (never happened within the limit) when any is None."""
    return None if None in values else max(v for v in values if v is not None)


async def one_round(group: SentinelGroup, prefix: str, history_s: float) -> dict[str, Any]:
    inbox = f"{key_root(prefix)}:inbox"
    port = await asyncio.to_thread(group.master_port)
    victim = next(n for n in group.nodes if n.port == port)
    other = next(n for n in group.nodes if n.port != port)
    r = Redis(port=victim.port)
    history: list[tuple[float, int]] = []
    t_end = time.monotonic() + history_s
    while time.monotonic() < t_end:
        history.append((time.monotonic(), int(await r.xlen(inbox))))
        await asyncio.sleep(0.05)
    at_kill, stored = time.monotonic(), int(await r.xlen(inbox))
    victim.kill9()
    await r.aclose()
    before = [n for t, n in history if t <= at_kill - WINDOW_S]
    bound = stored - (before[-1] if before else 0)

    async def promoted() -> bool:
        return await asyncio.to_thread(group.master_port) == other.port

    promote = await _poll_until(promoted, at_kill, 60)
    nr = Redis(port=other.port)
    at_promote = int(await nr.xlen(inbox))

    async def grows() -> bool:
        return int(await nr.xlen(inbox)) > at_promote

    resume = await _poll_until(grows, at_kill, 90)
    await nr.aclose()
    await asyncio.to_thread(victim.start)
    await asyncio.to_thread(group.ready, 120)
    return {
        "promote_s": promote,
        "resume_s": resume,
        "inbox_at_kill": stored,
        "on_replica_at_promotion": at_promote,
        "window_bound": bound,
    }


async def main_async(a: argparse.Namespace) -> dict[str, Any]:
    mqtt_url = os.environ.get("GRIDWALL_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
    port = httpx.URL(mqtt_url.replace("mqtt://", "http://")).port or 1883
    topic, prefix = f"bench-{uuid.uuid4().hex[:8]}", f"b{uuid.uuid4().hex[:8]}"
    folder = Path(tempfile.mkdtemp(prefix="gw-failover-"))
    group = SentinelGroup(folder / "redis")
    await asyncio.to_thread(group.start)
    env = {
        "GRIDWALL_MQTT_URL": mqtt_url,
        "GRIDWALL_REDIS_URL": "redis://127.0.0.1/0",
        "GRIDWALL_REDIS_SENTINELS": group.addresses,
        "GRIDWALL_TOPIC_PREFIX": topic,
        "GRIDWALL_REDIS_PREFIX": prefix,
    }
    hubs = [HubProc(SHIPPED, env, folder / f"hub-{i}.log") for i in range(a.hubs)]
    stream = Stream(port, topic)
    rounds: list[dict[str, Any]] = []
    try:
        for h in hubs:
            h.start()
        for h in hubs:
            await h.ready()
        t0 = time.monotonic()
        stream.start(10**9, per_s=a.rate)  # until stopped: every round meets a running stream
        for _ in range(a.rounds):
            rounds.append(await one_round(group, prefix, a.every_s))
            print(json.dumps(rounds[-1]), flush=True)
        await asyncio.sleep(a.every_s)
        stream.stop()
        await stream.join(timeout_s=30)
        stream_s = time.monotonic() - t0
        port_now = await asyncio.to_thread(group.master_port)
        r = Redis(port=port_now or group.primary.port)
        acked = set(stream.acked)
        got: set[tuple[str, int]] = set()
        for _ in range(600):
            got = await inbox_alerts(r, prefix)
            if acked <= got:
                break
            await asyncio.sleep(0.5)
        await r.aclose()
        lost = len(acked - got)
        bounds = sum(x["window_bound"] for x in rounds)
        return {
            "bench": "redis_failover",
            "hubs": a.hubs,
            "rate": a.rate,
            "down_after_ms": DOWN_AFTER_MS,
            "rounds": rounds,
            "promote_s_max": _worst([x["promote_s"] for x in rounds]),
            "resume_s_max": _worst([x["resume_s"] for x in rounds]),
            "stream_s": round(stream_s, 1),
            "acknowledged": len(acked),
            "stored": len(got & acked),
            "lost": lost,
            "window_bounds": bounds,
            "lost_outside_window": max(0, lost - bounds),
            "hubs_alive": sum(1 for h in hubs if h.proc is not None and h.proc.poll() is None),
            "load_avg_1m": round(os.getloadavg()[0], 2),
        }
    finally:
        stream.close()
        for h in hubs:
            h.terminate()
        group.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rate", type=float, default=200, help="alerts/s")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--every-s", type=float, default=20, help="stream this long between kills")
    ap.add_argument("--hubs", type=int, default=2)
    a = ap.parse_args()
    print(json.dumps(asyncio.run(main_async(a))))


if __name__ == "__main__":
    main()

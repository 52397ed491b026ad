"""Scripted faults under a steady alert stream: does anything the broker acknowledged get lost?

Starts its own Redis (the shipped AOF settings, ``tests/trust/redis_rig.py``) and its own
Mosquitto (the demo broker's settings without logins, ``bench/fault_rig.py``) on free ports,
two hubs on the shipped ``configs/hub.yaml`` (``python -m hub run``), and a publisher
process sending ``--rate`` alerts/s for ``--duration-s``, longer if the faults need it (the
stream goes on until 10 s after the last one has recovered). During the stream, in this order,
spread over it, each after the previous has recovered: ``kill -9`` of hub A, of hub B, of hub A (each started again at once),
``kill -9`` of Redis (started again on its folder after 1 s), a clean restart of the broker,
and ``kill -9`` of hub B, left dead for ``--dead-s`` (60) before it starts again.

Then it waits until the inbox stops growing and prints alerts sent, acknowledged by the
broker, stored (distinct alerts in the inbox), duplicated (inbox entries beyond the first of
an alert), lost (acknowledged, not stored) and the Redis window: inbox entries Redis took in
the 2 s before its kill, the most ``appendfsync everysec`` may lose (docs/data-model.md).
``lost_outside_window`` = lost minus that bound, at least 0: it must be 0. ``--no-faults``
runs the same stream without faults, to find the rate the machine holds (``drain_s``: how
long after the last publish the inbox took to hold every acknowledged alert).
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fault_rig import OwnBroker, inbox_count, start_stream
from redis.asyncio import Redis

from tests.hub.conftest import key_root
from tests.trust.hub_rig import SHIPPED, HubProc
from tests.trust.redis_rig import OwnRedis, shipped_redis_args

WINDOW_S = 2.0


@dataclass
class Run:
    work: Path
    redis: OwnRedis
    broker: OwnBroker
    prefix: str = field(default_factory=lambda: f"faults{uuid.uuid4().hex[:8]}")
    hubs: dict[str, HubProc] = field(default_factory=dict)
    t0: float = 0.0
    faults: list[dict[str, Any]] = field(default_factory=list)
    inbox_len: list[tuple[float, int]] = field(default_factory=list)
    redis_bound: int = 0

    def hub(self, name: str) -> HubProc:
        if name not in self.hubs:
            env = {
                "GRIDWALL_MQTT_URL": f"mqtt://127.0.0.1:{self.broker.port}",
                "GRIDWALL_REDIS_URL": self.redis.url,
                "GRIDWALL_TOPIC_PREFIX": self.prefix,
                "GRIDWALL_REDIS_PREFIX": self.prefix,
            }
            self.hubs[name] = HubProc(SHIPPED, env, self.work / f"hub-{name}.log")
        return self.hubs[name]

    def at(self) -> float:
        return round(time.monotonic() - self.t0, 1)

    async def watch(self) -> None:
        """The inbox length every 0.1 s (for the Redis window); quiet while Redis is away."""
        while True:
            try:
                r = Redis.from_url(self.redis.url)
                try:
                    while True:
                        n = int(await r.xlen(f"{key_root(self.prefix)}:inbox"))
                        self.inbox_len.append((time.monotonic(), n))
                        await asyncio.sleep(0.1)
                finally:
                    await r.aclose()
            except Exception:  # Redis killed: try again
                await asyncio.sleep(0.2)

    async def restart_hub(self, name: str, dead_s: float = 0.0) -> None:
        h = self.hub(name)
        at = self.at()
        h.kill9()
        await asyncio.sleep(dead_s)
        h.start()
        await h.ready()
        self.faults.append(
            {
                "fault": f"hub {name} kill -9",
                "at_s": at,
                "dead_s": dead_s,
                "back_after_s": round(self.at() - at, 1),
            }
        )

    async def restart_redis(self) -> None:
        at = self.at()
        last = self.inbox_len[-1][1] if self.inbox_len else 0
        before = [n for t, n in self.inbox_len if t <= time.monotonic() - WINDOW_S]
        self.redis.kill9()
        self.redis_bound = last - (before[-1] if before else 0)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(self.redis.start)
        self.faults.append(
            {
                "fault": "redis kill -9",
                "at_s": at,
                "window_bound": self.redis_bound,
                "inbox_at_kill": last,
                "back_after_s": round(self.at() - at, 1),
            }
        )

    async def restart_broker(self) -> None:
        at = self.at()
        await asyncio.to_thread(self.broker.stop)
        await asyncio.to_thread(self.broker.start)
        self.faults.append(
            {"fault": "broker restart", "at_s": at, "back_after_s": round(self.at() - at, 1)}
        )


async def settle(run: Run, acked: int, quiet_s: float = 10.0, limit_s: float = 300.0) -> None:
    """Wait until the inbox holds ``acked`` entries or stops growing for ``quiet_s``."""
    r = Redis.from_url(run.redis.url)
    start = time.monotonic()
    try:
        last, since = -1, time.monotonic()
        while time.monotonic() - start < limit_s:
            n = int(await r.xlen(f"{key_root(run.prefix)}:inbox"))
            if n >= acked:
                break
            if n != last:
                last, since = n, time.monotonic()
            elif time.monotonic() - since > quiet_s:
                break
            await asyncio.sleep(0.2)
    finally:
        await r.aclose()


async def correlation_backlog(r: Redis, prefix: str) -> int:
    """Inbox entries the correlation group has not finished (pending + not yet read)."""
    groups: Any = await r.xinfo_groups(f"{key_root(prefix)}:inbox")
    return sum(int(g.get("pending", 0)) + int(g.get("lag") or 0) for g in groups)


async def main_async(a: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="gridwall-faults-"))
    run = Run(work, OwnRedis(work / "redis", shipped_redis_args()), OwnBroker(work / "broker"))
    run.redis.start()
    run.broker.start()
    stream = None
    watcher = asyncio.create_task(run.watch())
    try:
        for name in ("A", "B"):
            run.hub(name).start()
        for name in ("A", "B"):
            await run.hub(name).ready()
        out = work / "stream.json"
        stream, stop = start_stream(run.broker.port, run.prefix, a.rate, out)
        run.t0 = time.monotonic()
        plan: list[Any] = (
            []
            if a.no_faults
            else [
                lambda: run.restart_hub("A"),
                lambda: run.restart_hub("B"),
                lambda: run.restart_hub("A"),
                run.restart_redis,
                run.restart_broker,
                lambda: run.restart_hub("B", a.dead_s),
            ]
        )
        span = a.duration_s * 0.8 - a.dead_s
        for k, fault in enumerate(plan):
            due = a.duration_s * 0.1 + span * k / max(len(plan) - 1, 1)
            await asyncio.sleep(max(0.0, due - (time.monotonic() - run.t0)))
            await fault()
        # the stream goes on for --duration-s, and 10 s past the last fault's recovery
        elapsed = time.monotonic() - run.t0
        await asyncio.sleep(max(a.duration_s - elapsed, 10.0 if plan else 0.0))
        stop.set()
        await asyncio.to_thread(stream.join, 300)
        result = json.loads(out.read_text())
        acked = {(e, s) for e, s in result["acked"]}
        await settle(run, len(acked))
        drain_s = round(time.monotonic() - result["ended_at"], 1)
        r = Redis.from_url(run.redis.url)
        try:
            await asyncio.sleep(2)
            entries, stored = await inbox_count(r, run.prefix)
            backlog = await correlation_backlog(r, run.prefix)
        finally:
            await r.aclose()
        lost = len(acked - stored)
        return {
            "rate_target_per_s": a.rate,
            "duration_s": round(result["seconds"], 1),
            "sent": result["sent"],
            "sent_per_s": round(result["sent"] / result["seconds"], 1),
            "acknowledged": len(acked),
            "stored": len(stored & acked),
            "duplicated": entries - len(stored),
            "lost": lost,
            "redis_window_bound": run.redis_bound,
            "lost_outside_window": max(0, lost - run.redis_bound),
            "drain_s": drain_s,
            "correlation_backlog": backlog,
            "hubs_running_at_end": sorted(
                n for n, h in run.hubs.items() if h.proc is not None and h.proc.poll() is None
            ),
            "faults": run.faults,
            "load_avg_1m": round(os.getloadavg()[0], 2),
        }
    finally:
        watcher.cancel()
        if stream is not None and stream.is_alive():
            stream.kill()
        for h in run.hubs.values():
            h.terminate()
        run.broker.stop()
        run.redis.close()
        if a.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=400, help="alerts/s")
    ap.add_argument("--duration-s", type=float, default=240)
    ap.add_argument("--dead-s", type=float, default=60, help="how long hub B stays dead")
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the logs and data folder")
    a = ap.parse_args()
    if not a.no_faults and a.duration_s * 0.8 - a.dead_s < 10:
        ap.error(
            f"--duration-s {a.duration_s} leaves no room for the faults and --dead-s {a.dead_s}"
        )
    out = asyncio.run(main_async(a))
    for k, v in out.items():
        if k != "faults":
            print(f"{k:22} {v}")
    for f in out["faults"]:
        print(f"  {f}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Hub ingest benchmark: for each hub process count (``--hubs 1,2,4``), sustained alerts/s
through the real broker and Redis, the hubs' own rate draining a backlog with where its time
went (per hub process: CPU by stage and the rest, Redis waits; Redis's main thread and the
broker as % of a core: ``bench/hub_costs.py``), and publish-to-case latency p50/p99 at one
fixed rate (half the first count's sustained rate). ``--memory``: Redis memory by kind of key
after the last count. The last line printed is one JSON object with the figures.

Each hub is ``python -m hub run`` on a fresh key and topic prefix, on a Redis and a
Mosquitto of the bench's own (``--redis``, ``--broker`` name others).
Alerts are updates spread over every (camera, zone, category) of the sample district and
auto-filed, so every alert runs the atomic alarm script. Throughput is alerts divided by the
time from the first publish to the moment every alert is in the inbox *and* correlated.
Latency comes from the hubs' ``gridwall_hub_alert_age_ms`` histogram (publish stamp in
``updated_at_ms`` → correlated), interpolated within its buckets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import yaml
from hub_costs import breakdown, snapshot
from paho.mqtt.enums import CallbackAPIVersion
from redis.asyncio import Redis
from redis_memory import memory_by_kind

from contracts.codec import encode
from contracts.messages import AlertEvent, DetectionBox
from contracts.topics import TopicKind, topic_for
from hub.district import load_district
from hub.district.load import county_code
from hub.store.keys import Keys

REPO = Path(__file__).resolve().parents[1]
DISTRICT = REPO / "configs" / "district"
# the Redis in use: the bench's own (set in main()) or --redis URL
REDIS = {"url": os.environ.get("GRIDWALL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")}
MQTT_HOST = "127.0.0.1"
MQTT = {"port": 1883}  # the port of the broker in use, set in main()
# the bench's own broker and Redis, for their CPU and run delay
BROKER: dict[str, int | None] = {"pid": None, "redis": None}


def key_root(prefix: str) -> str:
    """The root of the sample county's Redis keys under ``prefix`` (``hub.store.keys``)."""
    return Keys.for_district(prefix, county_code(DISTRICT)).prefix


SYNTH = {"boxes": 0}  # detection boxes per alert (--boxes), set in main()
BROKER_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
set_tcp_nodelay true
# a hub behind by more than its receive maximum plus this queue loses messages: see docs/hub.md
max_queued_messages 1000000
"""


def own_redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server of the bench's own on a free port (no persistence: its CPU and
    command figures are the hubs' alone)."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--bind", MQTT_HOST, "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex((MQTT_HOST, port)) == 0:
                return proc, f"redis://{MQTT_HOST}:{port}/0"
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"redis-server did not listen on {port}")


def own_broker(tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A Mosquitto of the bench's own, configured as docs/hub.md recommends."""
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(BROKER_CONF.format(port=port))
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex((MQTT_HOST, port)) == 0:
                return proc, port
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"mosquitto did not listen on {port}")


def zone_keys() -> list[tuple[str, str, str, str]]:
    d = load_district(DISTRICT)
    return [
        (c.box_id, c.camera_id, z.zone_id, cat)
        for c in d.cameras.values()
        for z in c.zones
        for cat in z.categories
    ]


def publish(
    prefix: str, keys: list[Any], count: int, offset: int, rate: float | None, tag: str
) -> None:
    """One publisher process: ``count`` alerts, as fast as possible or paced at ``rate``/s.

    Its alerts carry event ids of its own (``tag``) with a growing seq, as a box's do, so
    each is an update of its alarm, not a duplicate of another publisher's."""
    c = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
    )
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect(MQTT_HOST, MQTT["port"])
    sock = c.socket()
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.loop_start()
    t0 = time.monotonic()
    last = None
    for i in range(count):
        box, cam, zone, cat = keys[(offset + i) % len(keys)]
        now = time.time_ns() // 1_000_000
        ev = AlertEvent(
            type="update",
            event_id=f"b{tag}-{cam}-{zone}-{cat}",
            seq=offset + i + 1,
            box_id=box,
            camera_id=cam,
            zone_id=zone,
            category=cat,
            rule="bench",
            confidence=0.99,
            boxes=synthetic_boxes(SYNTH["boxes"], i),
            started_at_ms=now,
            updated_at_ms=now,
        )
        last = c.publish(topic_for(prefix, TopicKind.EVENT, box), encode(ev), qos=1)
        if rate:
            delay = t0 + (i + 1) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    if last is not None:
        last.wait_for_publish(120)
    c.disconnect()
    c.loop_stop()


def synthetic_boxes(n: int, i: int) -> tuple[DetectionBox, ...]:
    """``n`` boxes that move a little from one alert to the next (so updates change them)."""
    out = []
    for j in range(n):
        x0 = round(0.05 + 0.9 * j / max(n, 1) + 0.001 * (i % 10), 4)
        y0 = round(0.1 + 0.01 * (i % 7), 4)
        out.append(
            DetectionBox(
                xyxy_norm=(x0, y0, round(x0 + 0.04, 4), round(y0 + 0.2, 4)),
                confidence=round(0.5 + 0.4 * ((i + j) % 10) / 10, 4),
                class_name="cylinder",
            )
        )
    return tuple(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Hubs:
    def __init__(self, n: int, tmp: Path) -> None:
        self.rp = f"bench{uuid.uuid4().hex[:8]}"
        self.tp = f"bench-{uuid.uuid4().hex[:8]}"
        self.ports = [free_port() for _ in range(n)]
        self.procs: list[subprocess.Popen[bytes]] = []
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWALL_")}
        env["GRIDWALL_HUB_TOKENS"] = f"bench-{uuid.uuid4().hex} operator"
        for i, port in enumerate(self.ports):
            cfg = tmp / f"hub-{i}.yaml"
            cfg.write_text(
                yaml.safe_dump(
                    {
                        "district_dir": str(DISTRICT),
                        "mqtt": {
                            "url": f"mqtt://{MQTT_HOST}:{MQTT['port']}",
                            "topic_prefix": self.tp,
                            "client_id": f"{self.rp}-{i}",
                            "shared_group": self.rp,
                        },
                        "redis": {"url": REDIS["url"], "key_prefix": self.rp},
                        # a few synthetic boxes send everything: no per-box limit in the way
                        "ingest": {"rate_per_box_per_s": 1_000_000, "rate_burst": 1_000_000},
                        "http": {"host": "127.0.0.1", "port": port},
                    }
                )
            )
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "hub",
                        "run",
                        "--config",
                        str(cfg),
                        "--log-level",
                        "warning",
                    ],
                    cwd=REPO,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    async def ready(self) -> None:
        async with httpx.AsyncClient(timeout=2) as c:
            for port in self.ports:
                for _ in range(600):
                    try:
                        if (await c.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"hub on port {port} did not start")

    async def histogram(self) -> dict[float, float]:
        """Cumulative bucket counts of alert age, summed over the hubs."""
        out: dict[float, float] = {}
        async with httpx.AsyncClient(timeout=5) as c:
            for port in self.ports:
                text = (await c.get(f"http://127.0.0.1:{port}/metrics")).text
                for m in re.finditer(
                    r'gridwall_hub_alert_age_ms_bucket\{le="([^"]+)"\} (\S+)', text
                ):
                    le = float("inf") if m[1] == "+Inf" else float(m[1])
                    out[le] = out.get(le, 0.0) + float(m[2])
        return out

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def quantile(before: dict[float, float], after: dict[float, float], q: float) -> float | None:
    edges = sorted(after)
    counts = [after[e] - before.get(e, 0.0) for e in edges]
    total = counts[-1] if counts else 0
    if total <= 0:
        return None
    target, prev_edge, prev_count = q * total, 0.0, 0.0
    for edge, cum in zip(edges, counts, strict=True):
        if cum >= target:
            if edge == float("inf"):
                return prev_edge
            frac = (target - prev_count) / max(cum - prev_count, 1e-9)
            return round(prev_edge + frac * (edge - prev_edge), 2)
        prev_edge, prev_count = edge, cum
    return None


async def progress(r: Redis, prefix: str) -> tuple[int, int]:
    """(messages in the inbox or dead letters, inbox entries not yet correlated)."""
    inbox = f"{key_root(prefix)}:inbox"
    groups: Any = await r.xinfo_groups(inbox)
    behind = sum(int(g["pending"]) + int(g.get("lag") or 0) for g in groups)
    return int(await r.xlen(inbox)) + int(await r.xlen(f"{key_root(prefix)}:dead")), behind


async def settle(r: Redis, prefix: str, expected: int, stall_s: float = 15.0) -> int:
    """Wait until ``expected`` entries are in the inbox and correlated; return how many never
    arrived. A count that stops moving for ``stall_s`` means the broker dropped messages
    (its per-client queue, ``max_queued_messages``, overflowed): reported, not waited on."""
    last, since = (-1, -1), time.monotonic()
    while True:
        now = await progress(r, prefix)
        if now[0] >= expected and now[1] == 0:
            return 0
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > stall_s and now[1] == 0:
            return expected - now[0]
        await asyncio.sleep(0.05)


def run_publishers(prefix: str, keys: list[Any], total: int, n: int, rate: float | None) -> None:
    per = total // n
    run = uuid.uuid4().hex[:8]
    procs = [
        mp.Process(
            target=publish,
            args=(prefix, keys, per, i * per, rate / n if rate else None, f"{run}{i}"),
        )
        for i in range(n)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()


async def throughput(hubs: Hubs, keys: list[Any], total: int, publishers: int) -> dict[str, Any]:
    r = Redis.from_url(REDIS["url"])
    try:
        t0 = time.monotonic()
        pub = asyncio.get_running_loop().run_in_executor(
            None, run_publishers, hubs.tp, keys, total, publishers, None
        )
        await pub
        published_s = time.monotonic() - t0
        lost = await settle(r, hubs.rp, total)
        elapsed = time.monotonic() - t0
        out: dict[str, Any] = {
            "alerts": total,
            "seconds": round(elapsed, 2),
            "alerts_per_s": round(total / elapsed),
            "publish_per_s": round(total / published_s),
        }
        if lost:  # the time includes the wait that noticed the stall: no rate to report
            out |= {"lost_by_broker": lost, "alerts_per_s": None}
        return out | {"dead_letters": int(await r.xlen(f"{key_root(hubs.rp)}:dead"))}
    finally:
        await r.aclose()


async def drain(hubs: Hubs, keys: list[Any], total: int, publishers: int) -> dict[str, Any]:
    """The hubs' own rate: alerts are published while the hub processes are stopped
    (SIGSTOP; the broker holds them in their persistent sessions), then the hubs resume and
    are timed until every alert is in the inbox and correlated, with no publisher running.
    ``costs``: where the time of that drain went (``bench/hub_costs.py``)."""
    r = Redis.from_url(REDIS["url"])
    try:
        start_len = (await progress(r, hubs.rp))[0]
        pids = {f"hub-{i}": p.pid for i, p in enumerate(hubs.procs)}
        pids |= {("broker" if k == "pid" else k): v for k, v in BROKER.items() if v is not None}
        idle = await snapshot(hubs.ports, r, None)  # a stopped hub cannot answer /metrics
        for p in hubs.procs:
            p.send_signal(signal.SIGSTOP)
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, run_publishers, hubs.tp, keys, total, publishers, None
            )
        finally:
            before = await snapshot([], r, BROKER["pid"], pids)
            before.hubs = idle.hubs
            t0 = time.monotonic()
            for p in hubs.procs:
                p.send_signal(signal.SIGCONT)
        lost = await settle(r, hubs.rp, start_len + total)
        elapsed = time.monotonic() - t0
        after = await snapshot(hubs.ports, r, BROKER["pid"], pids)
        out: dict[str, Any] = {"alerts": total, "seconds": round(elapsed, 2)}
        out["alerts_per_s"] = None if lost else round(total / elapsed)
        out["dead_letters"] = int(await r.xlen(f"{key_root(hubs.rp)}:dead"))
        out["costs"] = breakdown(before, after, elapsed, total)
        return out | ({"lost_by_broker": lost} if lost else {})
    finally:
        await r.aclose()


async def latency(hubs: Hubs, keys: list[Any], rate: float, seconds: float) -> dict[str, Any]:
    before = await hubs.histogram()
    total = int(rate * seconds)
    r = Redis.from_url(REDIS["url"])
    start_len = int(await r.xlen(f"{key_root(hubs.rp)}:inbox"))
    await asyncio.get_running_loop().run_in_executor(
        None, run_publishers, hubs.tp, keys, total, 1, rate
    )
    lost = await settle(r, hubs.rp, start_len + total)
    await r.aclose()
    after = await hubs.histogram()
    return {
        "rate_per_s": round(rate),
        "alerts": total,
        "p50_ms": quantile(before, after, 0.5),
        "p99_ms": quantile(before, after, 0.99),
    } | ({"lost_by_broker": lost} if lost else {})


async def cleanup(prefix: str) -> None:
    r = Redis.from_url(REDIS["url"])
    keys = [k async for k in r.scan_iter(match=f"{prefix}:*", count=1000)]
    for i in range(0, len(keys), 500):
        await r.delete(*keys[i : i + 500])
    await r.aclose()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=20_000)
    ap.add_argument("--publishers", type=int, default=2)
    ap.add_argument("--latency-seconds", type=float, default=5.0)
    ap.add_argument(
        "--broker",
        default="own",
        help="'own': start a Mosquitto with a large per-client queue (default); "
        "or HOST:PORT of a running broker (its queue limit may drop a burst)",
    )
    ap.add_argument(
        "--boxes", type=int, default=0, help="detection boxes per alert (0-64, default 0)"
    )
    ap.add_argument("--hubs", default="1,2", help="hub process counts to run, e.g. 1,2,4")
    ap.add_argument(
        "--redis",
        default="own",
        help="'own': start a redis-server of the bench's own, no persistence (default); or a "
        "redis:// URL (other clients of it blur the Redis CPU and command figures)",
    )
    ap.add_argument(
        "--memory",
        action="store_true",
        help="after the largest hub count, Redis memory by kind of key (bench/redis_memory.py)",
    )
    args = ap.parse_args()
    try:
        args.hub_counts = [int(x) for x in args.hubs.split(",")]
    except ValueError:
        ap.error(f"--hubs {args.hubs!r}: expected counts like 1,2,4")
    if not args.hub_counts or not all(1 <= n <= 8 for n in args.hub_counts):
        ap.error(f"--hubs {args.hubs!r}: each count 1 to 8")
    if not 0 <= args.boxes <= 64:
        ap.error(f"--boxes {args.boxes}: expected 0 to 64 (the contract's limit)")
    SYNTH["boxes"] = args.boxes
    keys = zone_keys()
    result: dict[str, Any] = {"load_avg_1m": os.getloadavg()[0], "cpus": os.cpu_count()}
    result["boxes_per_alert"] = args.boxes
    with tempfile.TemporaryDirectory() as tmp:
        broker = redis = None
        if args.redis == "own":
            redis, REDIS["url"] = own_redis(Path(tmp))
            BROKER["redis"] = redis.pid
        elif args.redis.startswith("redis://"):
            REDIS["url"] = args.redis
        else:
            ap.error(f"--redis {args.redis!r}: expected 'own' or a redis:// URL")
        result["redis"] = args.redis
        if args.broker == "own":
            broker, MQTT["port"] = own_broker(Path(tmp))
            BROKER["pid"] = broker.pid
        else:
            host, _, port = args.broker.rpartition(":")
            if host != MQTT_HOST or not port.isdigit():
                ap.error(f"--broker {args.broker!r}: expected 'own' or {MQTT_HOST}:PORT")
            MQTT["port"] = int(port)
        result["broker"] = args.broker
        try:
            await run_all(result, keys, args, Path(tmp))
        finally:
            for proc in (broker, redis):
                if proc is not None:
                    proc.terminate()
                    proc.wait(10)
    result["load_avg_1m_end"] = os.getloadavg()[0]
    print(json.dumps(result))


async def run_all(result: dict[str, Any], keys: list[Any], args: Any, tmp: Path) -> None:
    """For each hub count: sustained rate with the publishers running, the hubs' own rate
    draining a backlog (with its cost breakdown), and publish-to-case latency at one fixed
    rate for every count (half the first count's sustained rate), so the counts compare."""
    fixed_rate: float | None = None
    for n in args.hub_counts:
        hubs = Hubs(n, tmp)
        try:
            await hubs.ready()
            result[f"hubs_{n}"] = await throughput(hubs, keys, args.alerts, args.publishers)
            print(f"{n} hub(s): {result[f'hubs_{n}']}", flush=True)
            result[f"drain_{n}"] = await drain(hubs, keys, args.alerts, args.publishers)
            print(f"{n} hub(s), backlog drained: {result[f'drain_{n}']}", flush=True)
            if fixed_rate is None and result[f"hubs_{n}"]["alerts_per_s"]:
                fixed_rate = result[f"hubs_{n}"]["alerts_per_s"] * 0.5
            if fixed_rate:
                lat = await latency(hubs, keys, fixed_rate, args.latency_seconds)
                result[f"latency_{n}"] = lat
                print(f"{n} hub(s), latency at {round(fixed_rate)}/s: {lat}", flush=True)
            if args.memory and n == max(args.hub_counts):
                result["redis_memory"] = await memory_by_kind(REDIS["url"], key_root(hubs.rp))
        finally:
            hubs.stop()
            await cleanup(hubs.rp)


if __name__ == "__main__":
    asyncio.run(main())

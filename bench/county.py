"""County-scale load: simulated boxes × cameras against a real broker and real hub processes.

    .venv/bin/python bench/county.py --boxes 1000 --cameras-per-box 12 --hubs 1,2

For each hub count: a fresh Mosquitto and Redis of the bench's own (free ports, no
persistence), a district of ``boxes × cameras_per_box`` cameras (bench/county_district.py),
N ``python -m hub run`` processes on that Redis (one shared subscription group), then the
simulated boxes (bench/county_boxes.py, bench/county_worker.py) for ``--duration-s``: stats,
alarms with snapshots, flaps and a storm. Then the bench waits until every event the broker
acknowledged is in the hubs' inbox (or a dead letter) and correlated, and reports per run:
boxes connected, alerts/s, publish-to-case p50/p99 (the hubs' alert-age histogram: the
event's ``updated_at_ms``, stamped at publish, to its correlation in Redis), dead letters,
lost (acknowledged by the broker, never in Redis: must be 0), hub CPU and RSS, Redis memory.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

from county_boxes import SimSettings
from county_district import write_district
from county_push import StormPush, storm_alarms_in_redis
from county_rig import Rig
from county_worker import Signals, worker_main
from hub_ingest import key_root, progress, quantile
from redis.asyncio import Redis

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "configs" / "district"
WORKER_GRACE_S = 600.0  # start-up, ramp and outbox drain beyond --duration-s


async def settle(r: Redis, prefix: str, expected: int, stall_s: float) -> tuple[int, float]:
    """Wait until ``expected`` events are in the inbox (or dead letters) and correlated;
    return (how many never arrived, seconds waited). A count that stops moving for
    ``stall_s`` with nothing left to correlate ends the wait."""
    t0 = time.monotonic()
    last, since = (-1, -1), time.monotonic()
    while True:
        now = await progress(r, prefix)
        if now[0] >= expected and now[1] == 0:
            return 0, time.monotonic() - t0
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > stall_s and now[1] == 0:
            return expected - now[0], time.monotonic() - t0
        await asyncio.sleep(0.1)


async def watch_backlog(r: Redis, prefix: str, out: dict[str, int], stop: asyncio.Event) -> None:
    """The largest correlation backlog (inbox entries not yet correlated) seen in the run."""
    while not stop.is_set():
        try:
            behind = (await progress(r, prefix))[1]
        except Exception:  # the inbox does not exist before the first event
            behind = 0
        out["max_backlog"] = max(out.get("max_backlog", 0), behind)
        await asyncio.sleep(1.0)


def start_workers(
    plan: dict[str, Any], cfg: SimSettings, workers: int, outage: bool
) -> tuple[list[Any], Any, Signals | None]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    signals = Signals(ctx.Event(), ctx.Event(), ctx.Value("i", 0)) if outage else None
    names = sorted(plan)
    procs = []
    for i in range(workers):
        share = {b: plan[b] for b in names[i::workers]}
        procs.append(ctx.Process(target=worker_main, args=(share, cfg, i, queue, signals)))
    for p in procs:
        p.start()
    return procs, queue, signals


async def broker_outage(
    rig: Rig, signals: Signals, workers: int, at_s: float, outage_s: float
) -> dict[str, float]:
    """``at_s`` after every worker started, stop the broker for ``outage_s`` and start it
    again: every box is dropped at once and reconnects (the connection storm)."""
    while signals.started.value < workers:  # noqa: ASYNC110 - a process-shared counter
        await asyncio.sleep(0.1)
    await asyncio.sleep(at_s)
    signals.outage.set()
    down, up = await asyncio.to_thread(rig.restart_broker, outage_s)
    signals.broker_back.set()
    print(f"broker restarted: down {up - down:.1f} s", file=sys.stderr, flush=True)
    return {"down": down, "up": up}


async def collect(procs: list[Any], queue: Any, duration_s: float) -> list[dict[str, Any]]:
    """Each worker's tally; a worker that dies without one stops the run with its code."""
    tallies: list[dict[str, Any]] = []
    deadline = time.monotonic() + duration_s + WORKER_GRACE_S
    while len(tallies) < len(procs):
        try:
            tallies.append(queue.get_nowait())
            continue
        except Empty:
            pass
        dead = [p.exitcode for p in procs if not p.is_alive() and p.exitcode != 0]
        if dead or time.monotonic() > deadline:
            for p in procs:
                p.kill()
            raise RuntimeError(f"a box worker failed (exit codes {dead}) or overran")
        await asyncio.sleep(0.5)
    for p in procs:
        p.join(30)
    return tallies


def add_tallies(tallies: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts add up across workers; moments (``*_at_ms``) take the latest."""
    out: dict[str, Any] = {}
    for t in tallies:
        for k, v in t.items():
            out[k] = max(out.get(k, 0), v) if k.endswith("_at_ms") else out.get(k, 0) + v
    return out


def outage_figures(sent: dict[str, Any], times: dict[str, float] | None) -> dict[str, Any]:
    """The connection storm after the broker restart, from the workers' tallies."""
    if times is None:
        return {}

    def since_up(at_ms: int) -> float | None:
        return round(at_ms / 1000 - times["up"], 2) if at_ms else None

    return {
        "outage_s": round(times["up"] - times["down"], 2),
        "outage_boxes_dropped": sent["outage_dropped"],
        "outage_boxes_back": sent["outage_back"],
        "outage_reconnect_all_s": since_up(sent["outage_last_back_at_ms"]),
        "outage_drain_s": since_up(sent["outage_drained_at_ms"]),
        "outage_messages_replayed": sent["outage_replayed"],
        "broker_refusals": sent["refused"] + sent["connect_errors_after_up"],
    }


async def push_figures(rig: Rig, r: Redis, push: StormPush, stall_s: float) -> dict[str, Any]:
    """After the boxes stopped: storm alarms in Redis, and the pushes, once every push the
    hubs sent has arrived (or nothing moved for ``stall_s``)."""
    last: tuple[float, int] = (-1.0, -1)
    since = time.monotonic()
    while True:
        sent = await rig.metric_sum("gridwall_hub_webpush_sent")
        failed = await rig.metric_sum("gridwall_hub_push_failures")
        arrived = len(push.service.received)
        if (sent + failed, arrived) != last:
            last, since = (sent + failed, arrived), time.monotonic()
        elif arrived >= sent + failed or time.monotonic() - since > stall_s:
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)  # a hub counts a push once the service has answered it
    sent = await rig.metric_sum("gridwall_hub_webpush_sent")
    failed = await rig.metric_sum("gridwall_hub_push_failures")
    inbox = f"{key_root(rig.redis_prefix)}:inbox"
    return {
        "storm_alarms_in_redis": await storm_alarms_in_redis(r, inbox),
        "pushes_sent_by_hubs": int(sent),
        "push_failures": int(failed),
    } | push.arrivals()


async def one_run(
    args: argparse.Namespace, hubs: int, tmp: Path, district: Path, plan: dict[str, Any]
) -> dict[str, Any]:
    outage = args.storm_reconnect_at_s >= 0
    push = StormPush(tmp, district) if args.alarm_storm else None
    with (
        Rig(
            tmp, district, hubs, persistent=outage, push=push.hub_config() if push else None
        ) as rig,
        contextlib.ExitStack() as stack,
    ):
        if push is not None:
            stack.callback(push.stop)
        started = time.monotonic()
        await rig.ready(args.hub_start_timeout_s)
        hub_start_s = round(time.monotonic() - started, 1)
        print(f"{hubs} hub(s) ready in {hub_start_s} s", file=sys.stderr, flush=True)
        cfg = SimSettings(
            host="127.0.0.1",
            port=rig.mqtt_port,
            topic_prefix=rig.topic_prefix,
            duration_s=args.duration_s,
            alarms_per_camera_day=args.alarms_per_camera_day,
            flaps_per_box_hour=args.flaps_per_box_hour,
            storm_at_s=None if args.storm_at_s < 0 else args.storm_at_s,
            storm_share=args.storm_share,
            storm_window_s=args.storm_window_s,
            ramp_s=min(args.ramp_s, args.duration_s / 2),
            seed=args.seed,
            mqtt5=args.mqtt5,
        )
        r = rig.redis()
        if push is not None:
            await push.subscribe_all(r, key_root(rig.redis_prefix))
        before = await rig.histogram()
        cpu0 = rig.cpu_seconds()
        t0 = time.monotonic()
        stop, seen = asyncio.Event(), {"max_backlog": 0}
        watcher = asyncio.create_task(watch_backlog(r, rig.redis_prefix, seen, stop))
        procs, queue, signals = start_workers(plan, cfg, args.workers, outage)
        restart = None
        if signals is not None:
            restart = asyncio.create_task(
                broker_outage(rig, signals, args.workers, args.storm_reconnect_at_s, args.outage_s)
            )
        tallies = await collect(procs, queue, args.duration_s)
        times = await restart if restart is not None else None
        sent = add_tallies(tallies)
        lost, waited = await settle(r, rig.redis_prefix, sent["events_acked"], args.stall_s)
        elapsed = time.monotonic() - t0
        stop.set()
        await watcher
        pushed = await push_figures(rig, r, push, args.stall_s) if push else {}
        cpu1 = rig.cpu_seconds()
        after = await rig.histogram()
        arrived, _ = await progress(r, rig.redis_prefix)
        dead = int(await r.xlen(f"{key_root(rig.redis_prefix)}:dead"))
        info = await r.info("memory")
        await r.aclose()
        return (
            {
                "hubs": hubs,
                "boxes": args.boxes,
                "cameras": args.boxes * args.cameras_per_box,
                "hub_start_s": hub_start_s,
                "boxes_connected_at_end": sent["connected_at_end"],
                "connect_refused": sent["refused"],
                "events_acked_by_broker": sent["events_acked"],
                "events_in_redis": arrived,
                "alerts_per_s": round(sent["events_acked"] / elapsed, 1),
                "messages_per_s": round((sent["events_acked"] + sent["other_acked"]) / elapsed, 1),
                "snapshot_mb": round(sent["snapshot_bytes"] / 2**20, 1),
                "alarms_started": sent["alarms_started"],
                "storm_alarms": sent["storm_alarms"],
                "flaps": sent["flaps"],
                "events_replayed": sent["events_replayed"],
                "held_no_subscriber": sent["held_no_subscriber"],
                "publish_to_case_p50_ms": quantile(before, after, 0.5),
                "publish_to_case_p99_ms": quantile(before, after, 0.99),
                "max_backlog": seen["max_backlog"],
                "settle_s": round(waited, 1),
                "dead_letters": dead,
                "lost": max(lost, 0),
                "unacked_events": sent["unacked_events"],
                "seconds": round(elapsed, 1),
                "hub_cpu_pct": [
                    round(100 * (b - a) / elapsed, 1) for a, b in zip(cpu0, cpu1, strict=True)
                ],
                "hub_rss_mb": rig.rss_mb(),
                "redis_used_mb": round(int(info["used_memory"]) / 2**20, 1),
            }
            | outage_figures(sent, times)
            | pushed
        )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boxes", type=int, default=1000)
    ap.add_argument("--cameras-per-box", type=int, default=12)
    ap.add_argument("--hubs", default="1,2", help="hub process counts to run, e.g. 1,2,4")
    ap.add_argument("--duration-s", type=float, default=180.0, help="how long boxes send")
    ap.add_argument("--workers", type=int, default=2, help="processes running the boxes")
    ap.add_argument("--alarms-per-camera-day", type=float, default=64.0)
    ap.add_argument("--flaps-per-box-hour", type=float, default=0.5)
    ap.add_argument("--storm-at-s", type=float, default=30.0, help="negative: no storm")
    ap.add_argument("--storm-share", type=float, default=0.1)
    ap.add_argument("--ramp-s", type=float, default=20.0, help="boxes connect over this")
    ap.add_argument("--stall-s", type=float, default=20.0)
    ap.add_argument("--hub-start-timeout-s", type=float, default=900.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--storm-window-s", type=float, default=60.0)
    ap.add_argument(
        "--storm-reconnect-at-s",
        type=float,
        default=-1.0,
        help="a connection storm: this long after the boxes start, the broker (persistent, as "
        "shipped) stops for --outage-s and starts again; every box reconnects and drains",
    )
    ap.add_argument("--outage-s", type=float, default=5.0, help="how long the broker is down")
    ap.add_argument(
        "--mqtt5",
        action="store_true",
        help="boxes speak MQTT 5 and keep (send again) what a PUBACK says nobody received "
        "(reason 16), which closes the broker-restart window; the edge speaks 3.1.1",
    )
    ap.add_argument(
        "--alarm-storm",
        action="store_true",
        help="Web Push on: every responder subscribed at a push service of the bench's own; "
        "reports the storm's alarms found in Redis and the pushes that arrived",
    )
    args = ap.parse_args()
    if args.alarm_storm and args.storm_at_s < 0:
        ap.error("--alarm-storm needs the storm (--storm-at-s 0 or more)")
    if args.storm_reconnect_at_s >= 0 and args.storm_reconnect_at_s >= args.duration_s:
        ap.error("--storm-reconnect-at-s must be within --duration-s")
    if args.storm_at_s >= 0 and args.storm_at_s + args.storm_window_s > args.duration_s:
        ap.error("the storm (--storm-at-s + --storm-window-s) must end within --duration-s")
    # a SIGTERM unwinds like Ctrl-C, so the broker, Redis and hubs of the run are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    counts = [int(x) for x in args.hubs.split(",") if x.strip()]
    if not counts or min(counts) < 1 or args.boxes < 1 or args.cameras_per_box < 1:
        ap.error("--hubs, --boxes and --cameras-per-box need positive numbers")
    if not 1 <= args.workers <= args.boxes:
        ap.error(f"--workers {args.workers}: expected 1 to --boxes ({args.boxes})")
    result: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}
    result |= {"duration_s": args.duration_s, "alarms_per_camera_day": args.alarms_per_camera_day}
    runs = []
    with tempfile.TemporaryDirectory(prefix="county-district-") as d:
        district = Path(d) / "district"
        plan = write_district(SAMPLE, district, args.boxes, args.cameras_per_box, args.seed)
        for n in counts:
            with tempfile.TemporaryDirectory(prefix="county-") as tmp:
                run = await one_run(args, n, Path(tmp), district, plan)
            print(json.dumps(run), file=sys.stderr, flush=True)
            runs.append(run)
    result["runs"] = runs
    result["load_avg_1m_end"] = os.getloadavg()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())

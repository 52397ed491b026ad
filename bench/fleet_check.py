"""What one fleet check costs a hub with a county's boxes: ``FleetService.check()`` against a
Redis of the bench's own, boxes x cameras, each box sending a heartbeat every ``--beat-s``.

    .venv/bin/python bench/fleet_check.py --boxes 1000 --cameras-per-box 12

Runs ``--passes`` checks one simulated second apart (the hub's ``check_interval_s``), writing
the heartbeats due in each second first, and prints the CPU milliseconds per check (the
process's own time: the hub's Python, not Redis's), their p50/p99 and the wall time. The
last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Any, cast

from county_rig import HOST, free_port, wait_port
from redis.asyncio import Redis

from contracts.messages import BoxStats, CameraStats
from hub.district import District
from hub.domain.clock import FakeClock
from hub.fleet.service import FleetService
from hub.fleet.settings import FleetSettings
from hub.store.keys import Keys

START_MS = 1_800_000_000_000


@dataclass(frozen=True)
class Cam:
    camera_id: str
    box_id: str


@dataclass(frozen=True)
class Cameras:
    """The one part of a district the fleet service reads."""

    cameras: dict[str, Cam]


def stats(box: str, cams: tuple[str, ...], at_ms: int) -> str:
    return BoxStats(
        box_id=box,
        sent_ms=at_ms,
        uptime_s=1.0,
        software_version="sim",
        model_version="sim",
        cpu_percent=40.0,
        mem_used_bytes=1 << 30,
        disk_free_bytes=8 << 30,
        outbox_depth=0,
        cameras=tuple(
            CameraStats(
                camera_id=c,
                state="online",
                capture_fps=5.0,
                detect_fps=2.0,
                skipped_frames=0,
                inference_ms=21.0,
                queue_depth=0,
            )
            for c in cams
        ),
    ).model_dump_json()


async def run(args: argparse.Namespace, port: int) -> dict[str, Any]:
    r = Redis.from_url(f"redis://{HOST}:{port}/0")
    boxes = [f"box-{b:04d}" for b in range(args.boxes)]
    cams = {
        f"{b}-c{k:02d}": Cam(f"{b}-c{k:02d}", b) for b in boxes for k in range(args.cameras_per_box)
    }
    keys = Keys("fleetbench:{339901}")
    clock = FakeClock(START_MS)
    settings = FleetSettings(heartbeat_timeout_s=35.0, check_interval_s=1.0)
    district = cast(District, Cameras(cams))
    fleet = FleetService(r, keys, district, settings, clock, "p", None)
    beat_ms = int(args.beat_s * 1000)
    due = {b: START_MS + (i * beat_ms) // len(boxes) - beat_ms for i, b in enumerate(boxes)}
    cpu_ms: list[float] = []
    wall_ms: list[float] = []
    for n in range(args.passes + 1):
        now = clock.now_ms()
        async with r.pipeline(transaction=False) as pipe:
            for b, at in due.items():
                if at <= now:
                    text = stats(b, fleet.cameras_of(b), now)
                    pipe.hset(keys.edge(b), mapping={"stats": text, "last_seen_ms": now})
                    pipe.sadd(keys.edges, b)
                    due[b] = at + beat_ms
            await pipe.execute()
        c0, w0 = time.process_time(), time.perf_counter()
        await fleet.check()
        if n:  # the first check builds every box's health: reported apart
            cpu_ms.append(1000 * (time.process_time() - c0))
            wall_ms.append(1000 * (time.perf_counter() - w0))
        else:
            first_ms = 1000 * (time.process_time() - c0)
        clock.advance(seconds=1)
    await r.aclose()
    q = statistics.quantiles(cpu_ms, n=100)
    return {
        "boxes": args.boxes,
        "cameras": len(cams),
        "passes": args.passes,
        "first_check_cpu_ms": round(first_ms, 1),
        "check_cpu_ms_mean": round(statistics.fmean(cpu_ms), 2),
        "check_cpu_ms_p50": round(q[49], 2),
        "check_cpu_ms_p99": round(q[98], 2),
        "check_wall_ms_mean": round(statistics.fmean(wall_ms), 2),
        "share_of_a_core_at_1_check_per_s": round(statistics.fmean(cpu_ms) / 1000, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boxes", type=int, default=1000)
    ap.add_argument("--cameras-per-box", type=int, default=12)
    ap.add_argument("--beat-s", type=float, default=10.0, help="a box's heartbeat period")
    ap.add_argument("--passes", type=int, default=60)
    args = ap.parse_args()
    if args.boxes < 1 or args.cameras_per_box < 1 or args.passes < 2:
        ap.error("--boxes, --cameras-per-box need positive numbers, --passes at least 2")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="fleet-check-") as tmp:
        redis = subprocess.Popen(
            ["redis-server", "--bind", HOST, "--port", str(port), "--save", "", "--dir", tmp],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_port(port, redis, "redis-server")
            out = {"load_avg_1m": os.getloadavg()[0]} | asyncio.run(run(args, port))
        finally:
            redis.terminate()
            redis.wait(10)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

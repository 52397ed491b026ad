"""Start and stop the whole hub app (wall included) under uvicorn again and again, with an
alert flood and live streams open, as the wall tests' server fixture does; report how long
each stop took and whether one never ended (the stack of what still ran is printed).

    .venv/bin/python bench/wall_stops.py [--cycles 12] [--per-s 300]

Uses the real broker and Redis of the tests (GRIDWALL_TEST_MQTT_URL, GRIDWALL_TEST_REDIS_URL);
its last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import redis
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.app import create_app
from tests.hub.test_hub_stop import Flood
from tests.wall.conftest import AUTH, TOKENS, _free_port, _stuck_report, hub_settings

STUCK_S = 20.0


def _follow(url: str, stop: threading.Event) -> None:
    """A live-stream client (a wall monitor, the console) until ``stop`` or the server ends."""
    try:
        with httpx.stream("GET", url, headers=AUTH, timeout=30) as r:
            for _ in r.iter_raw():
                if stop.is_set():
                    return
    except httpx.HTTPError:
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=12)
    ap.add_argument("--per-s", type=float, default=300.0)
    args = ap.parse_args()
    mqtt_url = os.environ.get("GRIDWALL_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
    redis_url = os.environ.get("GRIDWALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix = f"gw-bench-stops-{uuid.uuid4().hex[:6]}"
    settings = hub_settings(mqtt_url, redis_url, prefix, prefix)
    flood = Flood(mqtt_url, prefix, per_s=args.per_s)
    stops_s: list[float] = []
    stuck = False
    try:
        for i in range(args.cycles):
            app = create_app(settings, tokens=TOKENS)
            port = _free_port()
            server = uvicorn.Server(
                uvicorn.Config(
                    app,
                    host="127.0.0.1",
                    port=port,
                    log_level="error",
                    lifespan="on",
                    timeout_graceful_shutdown=5,
                )
            )
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_until_complete, args=(server.serve(),), daemon=True
            )
            thread.start()
            while not server.started:
                time.sleep(0.05)
            base = f"http://127.0.0.1:{port}"
            body = {"rows": 1, "cols": 1, "layout": "4"}
            httpx.put(f"{base}/api/wall/walls/s", json=body, headers=AUTH).raise_for_status()
            leave = threading.Event()
            for path in ("/api/wall/walls/s/events", "/api/stream"):
                threading.Thread(target=_follow, args=(base + path, leave), daemon=True).start()
            time.sleep(0.5 + (i % 5) * 0.1)  # the stop lands at a different point each time
            if i % 2:
                leave.set()  # every other time the clients leave before the stop
            t0 = time.monotonic()
            server.should_exit = True
            thread.join(STUCK_S)
            stops_s.append(time.monotonic() - t0)
            leave.set()
            if thread.is_alive():
                print(f"cycle {i}: did not stop in {STUCK_S} s\n{_stuck_report(thread, loop)}")
                stuck = True
                break
            loop.close()
            print(f"cycle {i}: stopped in {stops_s[-1]:.2f} s", flush=True)
    finally:
        flood.close()
        r = redis.Redis.from_url(redis_url)
        keys = list(r.scan_iter(f"{prefix}:*"))
        if keys:
            r.delete(*keys)
        r.close()
    print(
        json.dumps(
            {
                "cycles": len(stops_s),
                "stuck": stuck,
                "stop_s_max": round(max(stops_s), 2),
                "stop_s_median": round(statistics.median(stops_s), 2),
                "alerts_sent": flood.sent,
            }
        )
    )


if __name__ == "__main__":
    main()

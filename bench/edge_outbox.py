"""Edge outbox: what SQLite ``synchronous=FULL`` costs against ``NORMAL`` (both in WAL mode).

For each mode, on a fresh outbox file in ``--dir`` (default ``var/bench-outbox``, the disk
the edge's own outbox sits on), for ``--seconds`` each:

- ``enqueue``: single 1 KiB messages (``Outbox.enqueue``, one commit each);
- ``alert``: what the edge does for one alert step: ``enqueue_numbered`` with a snapshot
  (``--snapshot-kib``, 40) and the event, ``remember_open``, then the broker's two acks
  (four commits).

Prints per mode the rate and the p50 / p99 time of one call, and, as its last line, one JSON
object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.outbox import Outbox, Synchronous

REPO = Path(__file__).resolve().parents[1]
MODES: tuple[Synchronous, ...] = ("NORMAL", "FULL")


def timed(step: Callable[[int], None], seconds: float) -> dict[str, float]:
    """Call ``step(i)`` for ``seconds``; the rate and the p50 / p99 of one call in ms."""
    took: list[float] = []
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        step(i)
        took.append((time.perf_counter() - t0) * 1000)
        i += 1
    took.sort()
    return {
        "per_s": round(len(took) / (sum(took) / 1000), 1),
        "p50_ms": round(statistics.median(took), 3),
        "p99_ms": round(took[int(len(took) * 0.99)], 3),
        "calls": len(took),
    }


def one_mode(folder: Path, mode: Synchronous, seconds: float, snapshot: bytes) -> dict[str, object]:
    shutil.rmtree(folder, ignore_errors=True)
    ob = Outbox(folder / "outbox.sqlite", synchronous=mode)
    message = os.urandom(1024)
    try:

        def one_enqueue(i: int) -> None:
            ob.enqueue("b/event", message)

        enqueue = timed(one_enqueue, seconds)
        last = [0]

        def alert_step(i: int) -> None:
            def build(seq: int) -> list[tuple[str, bytes]]:
                return [("b/snapshot", snapshot), ("b/event", message)]

            ob.enqueue_numbered(build)
            ob.remember_open(f"ev-{i % 8}", message)
            for row in ob.after(last[0], 2):
                ob.ack(row.row_id)
                last[0] = row.row_id

        alert = timed(alert_step, seconds)
    finally:
        ob.close()
    return {"enqueue": enqueue, "alert": alert}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=REPO / "var" / "bench-outbox")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--snapshot-kib", type=int, default=40)
    a = ap.parse_args()
    snapshot = os.urandom(a.snapshot_kib * 1024)
    out: dict[str, object] = {"dir": str(a.dir), "seconds": a.seconds}
    for mode in MODES:
        got = one_mode(a.dir / mode.lower(), mode, a.seconds, snapshot)
        out[mode.lower()] = got
        for what, fig in got.items():
            print(f"{mode:6} {what:7} {fig}")
    shutil.rmtree(a.dir, ignore_errors=True)
    out["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

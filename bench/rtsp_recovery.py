"""How long a real RTSP camera's faults take to be seen and to heal, with the product settings.

GStreamer's RTSP server (tests/rtsp/gst_server.py, Debian's python3) serves a synthetic street
as H.264 (drops) and H.265 (stalls, garbage); the edge's own capture loop (``CaptureWorker``
on ``RtspSource``, as the agent runs it) reads it with the box's default ``pipeline``
settings (``source_timeout_s``, ``reconnect_max_s``, ``offline_after_s``; override with the
flags). Each fault is held for every ``--outage-s`` and repeated ``--repeats`` times:

- drop: the server is killed (no TEARDOWN) and started again after the outage;
- stall: the server keeps the session but sends nothing, then resumes;
- garbage: one byte in ten of every picture is random, then clean again;
- resize: the stream switches between 640x360 and 960x540 without a reconnect.

Per fault: seconds from the fault to the first non-online state (what the stats topic reports
at once), to ``offline``, and from the fix to the next picture. The agent publishes a stats
message on every state change, so the topic sees these within milliseconds (tests/rtsp).
Usage: .venv/bin/python bench/rtsp_recovery.py [--repeats 2] [--outage-s 5,30] [--transport tcp]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.capture import CaptureWorker
from edge.frame_tap import FrameTap
from edge.settings import PipelineSettings
from edge.sources.rtsp import RtspSource
from tests.rtsp.clips import render, write_clip
from tests.rtsp.server import MountSpec, RtspServer, gst_missing

FPS = 5
FAULTS = {"drop": ("/h264", None, None), "stall": ("/h265", "stall", "resume")}
FAULTS["garbage"] = ("/h265", "garbage", "clean")


class Watched:
    """A capture worker on one mount, with every state change timed."""

    def __init__(self, url: str, args: argparse.Namespace) -> None:
        self.events: list[tuple[float, str, str | None]] = []
        self.source = RtspSource(url, transport=args.transport, timeout_s=args.source_timeout_s)
        self.worker = CaptureWorker(
            "bench",
            self.source,
            None,
            FrameTap(),
            offline_after_s=args.offline_after_s,
            reconnect_max_s=args.reconnect_max_s,
            on_state=lambda _c, s, r: self.events.append((time.monotonic(), s, r)),
        )

    def first(self, after_s: float, states: tuple[str, ...]) -> float | None:
        return next((t - after_s for t, s, _ in self.events if t >= after_s and s in states), None)

    def wait_frames(self, more: int, timeout_s: float) -> float | None:
        start, before = time.monotonic(), self.worker.frames
        while time.monotonic() - start < timeout_s:
            if self.worker.frames >= before + more:
                return time.monotonic()
            time.sleep(0.005)
        return None


def one_fault(
    server: RtspServer, fault: str, outage_s: float, args: argparse.Namespace
) -> dict[str, float | None]:
    mount, verb, undo = FAULTS[fault]
    cam = Watched(server.url(mount), args)
    cam.worker.start()
    try:
        if cam.wait_frames(3, 60) is None:
            raise RuntimeError(f"{fault}: the camera never came online")
        time.sleep(args.offline_after_s + 0.5)  # up long enough that the fault is a new outage
        broke_s = time.monotonic()
        if verb is None:
            server.kill()
        else:
            server.command(f"{verb} {mount}")
        time.sleep(outage_s)
        online_at_fix = cam.worker.state == "online"
        if undo is None:
            server.start()
        else:
            server.command(f"{undo} {mount}")
        fixed_s = time.monotonic()
        online = None if online_at_fix else cam.first(fixed_s, ("online",))
        frame_s = cam.wait_frames(1, 120)
        if not online_at_fix:
            deadline = time.monotonic() + 5
            while online is None and time.monotonic() < deadline:
                time.sleep(0.01)
                online = cam.first(fixed_s, ("online",))
        return {
            "seen_s": cam.first(broke_s, ("reconnecting", "offline")),
            "offline_s": cam.first(broke_s, ("offline",)),
            "recovered_s": None if frame_s is None else frame_s - fixed_s,
            "online_report_s": online,
        }
    finally:
        cam.worker.stop()


def resize_gaps(server: RtspServer, seconds: float, args: argparse.Namespace) -> dict[str, int]:
    tap = FrameTap()
    sub = tap.subscribe("bench", maxlen=256)
    source = RtspSource(server.url("/resize"), transport=args.transport, timeout_s=5)
    downs: list[str] = []
    worker = CaptureWorker(
        "bench",
        source,
        None,
        tap,
        offline_after_s=10,
        reconnect_max_s=1,
        on_state=lambda _c, s, _r: downs.append(s) if s != "online" else None,
    )
    worker.start()
    seen: list[tuple[int, int]] = []  # (width, captured_ms)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frame = sub.get(timeout_s=0.5)
        if frame is not None:
            seen.append((frame.image.shape[1], frame.captured_ms))
    worker.stop()
    sub.close()
    pairs = list(itertools.pairwise(seen[4:]))  # past the burst FFmpeg's probe delivers
    at_switch = [b[1] - a[1] for a, b in pairs if a[0] != b[0]]
    others = [b[1] - a[1] for a, b in pairs if a[0] == b[0]]
    return {
        "switches": len(at_switch),
        "gap_at_switch_max_ms": max(at_switch, default=0),
        "gap_other_max_ms": max(others, default=0),
        "reconnects": len(downs),
        "resolution_changes": worker.resolution_changes,
    }


def summary(values: list[float | None]) -> dict[str, float | int | None]:
    got = [v for v in values if v is not None]
    return {
        "min": round(min(got), 2) if got else None,
        "median": round(statistics.median(got), 2) if got else None,
        "max": round(max(got), 2) if got else None,
        "missing": len(values) - len(got),
    }


def main() -> None:
    defaults = PipelineSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--outage-s", default="5,30")
    parser.add_argument("--faults", default="drop,stall,garbage,resize")
    parser.add_argument("--transport", default="tcp", choices=["tcp", "udp"])
    parser.add_argument("--source-timeout-s", type=float, default=defaults.source_timeout_s)
    parser.add_argument("--reconnect-max-s", type=float, default=defaults.reconnect_max_s)
    parser.add_argument("--offline-after-s", type=float, default=defaults.offline_after_s)
    args = parser.parse_args()
    why = gst_missing()
    if why:
        raise SystemExit(why)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pictures = render(resolution_wh=(640, 360), fps=FPS, seconds=3.0)
        for codec in ("h264", "h265"):
            write_clip(folder / f"street.{codec}", codec, pictures, fps=FPS)
        big = [np.asarray(cv2.resize(p, (960, 540)), np.uint8) for p in pictures[: 2 * FPS]]
        write_clip(folder / "big.h264", "h264", big, fps=FPS)
        resize = folder / "resize.h264"
        resize.write_bytes(
            (folder / "street.h264").read_bytes() + (folder / "big.h264").read_bytes()
        )
        server = RtspServer(
            [
                MountSpec("/h264", folder / "street.h264", "h264", FPS),
                MountSpec("/h265", folder / "street.h265", "h265", FPS),
                MountSpec("/resize", resize, "h264", FPS),
            ]
        ).start()
        results: dict[str, object] = {}
        try:
            faults = args.faults.split(",")
            for fault in (f for f in faults if f in FAULTS):
                for outage in (float(x) for x in args.outage_s.split(",")):
                    runs = [one_fault(server, fault, outage, args) for _ in range(args.repeats)]
                    row = {k: summary([r[k] for r in runs]) for k in runs[0]}
                    results[f"{fault}_{outage:g}s"] = row
                    print(f"{fault}, {outage:g} s outage: {json.dumps(row)}", flush=True)
            if "resize" in faults:
                results["resize"] = resize_gaps(server, 15.0, args)
                print(f"resize: {json.dumps(results['resize'])}", flush=True)
        finally:
            server.stop()
    print(
        json.dumps(
            {
                "bench": "rtsp_recovery",
                "transport": args.transport,
                "settings": {
                    "source_timeout_s": args.source_timeout_s,
                    "reconnect_max_s": args.reconnect_max_s,
                    "offline_after_s": args.offline_after_s,
                },
                "repeats": args.repeats,
                "results": results,
                "wall_s": round(time.monotonic() - started, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()

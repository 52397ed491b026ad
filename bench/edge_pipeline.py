"""Edge pipeline cost and latency on synthetic cameras through the real broker.

Runs the whole agent (capture → queue → detector → tracker → rules → outbox → Mosquitto) on
N synthetic cameras played in real time (640x360, 10 fps, detection at 5 fps) and measures:
- CPU per camera (process CPU seconds / wall seconds / cameras), with motion gating on and off,
  and the share of it spent rendering the synthetic scene (a real camera decodes instead);
- frame-to-publish latency: consumer receive time − the frame's capture time carried in each
  alert message (``updated_at_ms``), p50 and p99;
- RSS at start and end, sampled every 10 s (``--seconds 600`` for the 10-minute memory run).

Usage: python bench/edge_pipeline.py [--seconds S] [--cameras N] [--modes on,off]
       [--backend onnx|truth]
The last printed line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contracts.messages import AlertEvent
from contracts.topics import TopicKind
from edge.agent import Agent
from edge.settings import parse_edge_config
from edge.synth import SceneScript, SyntheticScene
from tests.edge.helpers import MODEL_FP32, Recorder, box_config, camera


def render_ms(wh: tuple[int, int], preset: str) -> float:
    scene = SyntheticScene(SceneScript.preset(preset), wh, 10.0, seed=9)
    t0 = time.process_time()
    for _ in range(30):
        scene.next_frame()
    return (time.process_time() - t0) / 30 * 1000


def slope_mb_per_min(samples: list[int], every_s: float) -> float:
    """Least-squares slope of RSS samples taken every ``every_s`` seconds, in MB/minute."""
    n = len(samples)
    if n < 2:
        return 0.0
    xs = [i * every_s / 60 for i in range(n)]
    mx, my = sum(xs) / n, sum(samples) / n
    num = sum((x - mx) * (y - my) for x, y in zip(xs, samples, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den / 2**20


def run(
    seconds: float,
    cameras: int,
    gating: bool,
    backend: str,
    url: str,
    model: Path,
    preset: str = "street_corner",
) -> dict[str, Any]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp(prefix="edge-bench-"))
    cams = [
        camera(
            f"cam-{i}",
            {"kind": "synthetic", "preset": preset, "seed": i + 1, "speed": 1.0},
            fps=10.0,
            detect_fps=5.0,
        )
        for i in range(cameras)
    ]
    pipeline = {"motion_gating": gating, "update_interval_s": 1.0}
    data = box_config(tmp, url, prefix, cams, backend=backend, pipeline=pipeline)
    data["stats_interval_s"] = 5.0
    if backend == "onnx":
        data["detector"]["model_path"] = str(model)
    agent = Agent(parse_edge_config(data, "bench", tmp), tmp)
    rec = Recorder(url, prefix, "edge-t1", (TopicKind.EVENT,))
    latencies: list[float] = []
    lock = threading.Lock()
    original = rec._on_message

    def on_message(c: Any, u: Any, msg: Any) -> None:
        now = time.time() * 1000
        original(c, u, msg)
        with lock:
            last = rec.messages[-1][1] if rec.messages else None
            if isinstance(last, AlertEvent) and last.type != "end":
                latencies.append(now - last.updated_at_ms)

    rec.client.on_message = on_message
    proc = psutil.Process()
    rss: list[int] = []
    agent.start()
    time.sleep(3.0)  # warm up: sessions, first frames
    cpu0, wall0 = proc.cpu_times(), time.monotonic()
    frames0 = sum(p.capture.frames for p in agent.pipelines.values())
    det0 = sum(p.detections_run for p in agent.pipelines.values())
    deadline = wall0 + seconds
    while time.monotonic() < deadline:
        rss.append(proc.memory_info().rss)
        time.sleep(min(10.0, max(0.0, deadline - time.monotonic())))
    cpu1, wall = proc.cpu_times(), time.monotonic() - wall0
    frames = sum(p.capture.frames for p in agent.pipelines.values()) - frames0
    dets = sum(p.detections_run for p in agent.pipelines.values()) - det0
    dropped = sum(p.queue.dropped for p in agent.pipelines.values())
    rss.append(proc.memory_info().rss)
    agent.stop()
    rec.close()
    cpu_s = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    render_share = frames * render_ms((640, 360), preset) / 1000 / max(cpu_s, 1e-9)
    lat = sorted(latencies)
    return {
        "gating": gating,
        "cameras": cameras,
        "seconds": round(wall, 1),
        "cpu_percent_per_camera": round(100 * cpu_s / wall / cameras, 1),
        "cpu_share_synthetic_render": round(render_share, 2),
        "capture_fps_per_camera": round(frames / wall / cameras, 2),
        "detect_fps_per_camera": round(dets / wall / cameras, 2),
        "queue_dropped": dropped,
        "alert_messages": len(lat),
        "latency_ms_p50": round(statistics.median(lat), 1) if lat else None,
        "latency_ms_p99": round(lat[max(0, math.ceil(0.99 * len(lat)) - 1)], 1) if lat else None,
        "rss_mb_start": round(rss[0] / 2**20, 1),
        "rss_mb_at_60s": round(rss[min(6, len(rss) - 1)] / 2**20, 1),
        "rss_mb_end": round(rss[-1] / 2**20, 1),
        "rss_mb_max": round(max(rss) / 2**20, 1),
        "rss_mb_per_min_second_half": round(slope_mb_per_min(rss[len(rss) // 2 :], 10.0), 3),
        "rss_mb_by_minute": [round(r / 2**20, 1) for r in rss[::6]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cameras", type=int, default=1)
    parser.add_argument("--modes", default="on,off")
    parser.add_argument("--backend", default="onnx" if MODEL_FP32.is_file() else "truth")
    parser.add_argument("--model", type=Path, default=MODEL_FP32)
    parser.add_argument("--preset", default="street_corner")
    parser.add_argument("--mqtt-url", default="mqtt://127.0.0.1:1883")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "bench": "edge_pipeline",
        "backend": args.backend,
        "preset": args.preset,
    }
    if args.backend == "onnx":
        result["model"] = str(args.model)
    for mode in args.modes.split(","):
        figures = run(
            args.seconds,
            args.cameras,
            mode == "on",
            args.backend,
            args.mqtt_url,
            args.model,
            args.preset,
        )
        print(f"gating {mode}", figures, flush=True)
        result[f"gating_{mode}"] = figures
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Recording on a box: what remuxing a camera costs, what an hour takes on disk, how long
a clip export and a retention plan take.

A real H.264 stream (a synthetic street scene encoded once by x264, not counted) is handed
to the box's recorder for ``--minutes`` of camera time with shifted timestamps, as fast as
it goes; the recorder's CPU time over that span is the cost of recording one camera in real
time. Retention is planned over ``--cameras`` × ``--days`` of one-minute segments with
``--alarms`` alarms: the pure function alone, and one whole pass of the recorder (its SQLite
index listed, the plan made) over as many rows. Prints one JSON object as its last line.
Usage: .venv/bin/python bench/recording.py [--minutes 10] [--wh 640x360] [--fps 25]
"""

from __future__ import annotations

import argparse
import fractions
import json
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from edge.recording.clip import export_clip
from edge.recording.recorder import Recorder
from edge.recording.retention import AlarmMark, SegmentInfo, plan_retention
from edge.recording.segment import RecPacket
from edge.recording.settings import RecordingSettings
from edge.synth import SceneScript, SyntheticScene

CAM = "cam-bench"


class Idle:
    def get(self, timeout_s: float) -> RecPacket | None:
        return None

    def close(self) -> None:
        return None


def encode_loop(
    wh: tuple[int, int], fps: int, seconds: int, bitrate: int
) -> list[tuple[bytes, bool]]:
    scene = SyntheticScene(SceneScript.preset("street_corner"), wh, fps, seed=5)
    ctx = av.CodecContext.create("libx264", "w")
    assert isinstance(ctx, av.VideoCodecContext)
    ctx.width, ctx.height = wh
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = fractions.Fraction(1, fps)
    ctx.framerate = fractions.Fraction(fps)
    ctx.bit_rate = bitrate
    ctx.gop_size = fps
    ctx.options = {"preset": "ultrafast", "tune": "zerolatency", "bf": "0"}
    out: list[tuple[bytes, bool]] = []
    for i in range(seconds * fps):
        image = np.ascontiguousarray(scene.next_frame().image)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts = i
        if i % fps == 0:
            frame.pict_type = av.video.frame.PictureType.I
        out += [(bytes(p), bool(p.is_keyframe)) for p in ctx.encode(frame)]
    out += [(bytes(p), bool(p.is_keyframe)) for p in ctx.encode(None)]
    return out


def plan_time(cameras: int, days: int, alarms: int) -> tuple[int, float, int]:
    rng = random.Random(1)
    now = 100 * 86_400_000
    segs = [
        SegmentInfo(
            i,
            f"c{i % cameras}",
            now - (i // cameras) * 60_000,
            now - (i // cameras) * 60_000 + 60_000,
            4_000_000,
        )
        for i in range(cameras * days * 1440)
    ]
    marks = [
        AlarmMark(f"c{rng.randrange(cameras)}", s, s + 120_000)
        for s in (now - rng.randrange(days * 86_400_000) for _ in range(alarms))
    ]
    from edge.recording.recorder import policy_of

    policy = policy_of(
        RecordingSettings(max_age_h=24 * days - 12, disk_budget_mb=cameras * days * 1440 * 3.5)
    )
    t0 = time.perf_counter()
    plan = plan_retention(segs, marks, policy, now)
    return len(segs), (time.perf_counter() - t0) * 1000, len(plan.deletions)


def index_retention_time(root: Path, cameras: int, days: int, alarms: int) -> tuple[float, float]:
    """ms of one ``Recorder.apply_retention`` with work to do (SQLite listing + plan) over
    that many rows (the budget one segment under the total, so the oldest ones go, down to
    the low-water mark), then of the next pass, which finds nothing to do."""
    rows = cameras * days * 1440
    budget_mb = (rows * 4_000_000 - 1) / 1e6  # one segment over: the oldest goes
    settings = RecordingSettings(path=root, max_age_h=24 * (days + 1), disk_budget_mb=budget_mb)
    rec = Recorder(settings, {})
    now = int(time.time() * 1000)
    db = sqlite3.connect(root / "index.sqlite")
    db.executemany(
        "INSERT INTO segments (camera_id, path, start_ms, end_ms, size_bytes, open) "
        "VALUES (?, ?, ?, ?, ?, 0)",
        (
            (f"c{i % cameras}", f"c{i % cameras}/{i}.mp4", t, t + 60_000, 4_000_000)
            for i in range(cameras * days * 1440)
            for t in (now - (i // cameras + 1) * 60_000,)
        ),
    )
    db.executemany(
        "INSERT INTO alarms (event_id, camera_id, zone_id, category, started_ms, ended_ms) "
        "VALUES (?, ?, 'z', '06010', ?, ?)",
        (
            (f"e{k}", f"c{k % cameras}", now - k * 600_000, now - k * 600_000 + 60_000)
            for k in range(alarms)
        ),
    )
    db.commit()
    db.close()
    t0 = time.perf_counter()
    plan = rec.apply_retention()
    ms = (time.perf_counter() - t0) * 1000
    assert plan.deletions  # the oldest, and down to the low-water mark (no files here)
    t0 = time.perf_counter()
    idle = rec.apply_retention()  # now under the budget: the usual pass
    idle_ms = (time.perf_counter() - t0) * 1000
    assert not idle.deletions
    rec.stop()
    return ms, idle_ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--wh", default="640x360")
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--bitrate", type=int, default=1_000_000)
    ap.add_argument("--cameras", type=int, default=16)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--alarms", type=int, default=2_000)
    a = ap.parse_args()
    w, h = (int(x) for x in a.wh.split("x"))
    loop = encode_loop((w, h), a.fps, 10, a.bitrate)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rec = Recorder(RecordingSettings(path=root, segment_s=60), {CAM: Idle()})
        cam = rec.cameras[CAM]
        step_ms = 1000 / a.fps
        frames = round(a.minutes * 60 * a.fps)
        start = int(time.time() * 1000) - int(a.minutes * 60_000) - 60_000
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for i in range(frames):
            data, key = loop[i % len(loop)]
            t = start + round(i * step_ms)
            cam.handle(RecPacket(data, key, t * 90, t))
        cam.end_segment()
        cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
        segments = rec.index.segments(CAM)
        size = sum(s.info.size_bytes for s in segments)
        mid = start + int(a.minutes * 30_000)
        t0 = time.perf_counter()
        clip = export_clip(
            root,
            rec.index.segments(CAM, mid - 60_000, mid + 60_000),
            mid,
            mid + 60_000,
            root / "clip.mp4",
        )
        export_ms = (time.perf_counter() - t0) * 1000
        rec.stop()
    n, plan_ms, deleted = plan_time(a.cameras, a.days, a.alarms)
    with tempfile.TemporaryDirectory() as tmp:
        index_ms, idle_ms = index_retention_time(Path(tmp), a.cameras, a.days, a.alarms)
    seconds = a.minutes * 60
    print(
        json.dumps(
            {
                "stream": f"{w}x{h} H.264 {a.fps} fps ~{a.bitrate // 1000} kbit/s",
                "recorded_minutes": a.minutes,
                "segments": len(segments),
                "remux_cpu_percent_of_a_core_per_camera": round(100 * cpu_s / seconds, 3),
                "remux_us_per_packet": round(1e6 * cpu_s / frames, 1),
                "remux_wall_s": round(wall_s, 2),
                "disk_mb_per_hour": round(size / 1e6 * 60 / a.minutes, 1),
                "clip_60s_export_ms": round(export_ms, 1),
                "clip_60s_bytes": clip.size_bytes,
                "retention_plan_segments": n,
                "retention_plan_ms": round(plan_ms, 1),
                "retention_plan_deletions": deleted,
                "retention_pass_with_work_ms": round(index_ms, 1),
                "retention_pass_idle_ms": round(idle_ms, 1),
                "load_average": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()

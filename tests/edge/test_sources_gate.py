"""Sources (synthetic, image folder, video file), the capture loop's reconnect and offline
states, the drop-oldest queue and the motion gate."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from contracts.cameras import StreamSettings, SyntheticStream
from edge.capture import CaptureWorker, backoff_s
from edge.frame_queue import DropOldestQueue
from edge.frame_tap import FrameTap
from edge.gate import MotionGate
from edge.sources import make_source
from edge.sources.base import Frame, SourceError
from edge.sources.synthetic import SyntheticSource


def test_synthetic_source_carries_truth_on_the_scene_clock() -> None:
    stream = SyntheticStream(kind="synthetic", preset="street_corner", seed=1, speed=0)
    src = SyntheticSource(stream, (320, 180), fps=5.0, clock=lambda: 1000.0)
    src.open()
    frames = [src.read() for _ in range(80)]
    assert frames[0].image.shape == (180, 320, 3)
    assert frames[10].captured_ms - frames[0].captured_ms == 2000
    assert frames[0].captured_ms == 1_000_000
    assert any(name == "gas_cylinder" for f in frames for name, _ in f.truth)


def test_image_folder_and_video_file(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((40, 60, 3), i * 50, np.uint8))
    (folder / "notes.txt").write_text("ignored")
    stream = StreamSettings.model_validate(
        {"main": {"kind": "images", "path": "imgs", "loop": True}, "fps": 50}
    )
    src = make_source(stream, tmp_path)
    src.open()
    values = [int(src.read().image[0, 0, 0]) for _ in range(4)]
    assert values == [0, 50, 100, 0]
    video = tmp_path / "v.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (64, 48))
    for _ in range(4):
        writer.write(np.full((48, 64, 3), 128, np.uint8))
    writer.release()
    vs = make_source(
        StreamSettings.model_validate(
            {"main": {"kind": "file", "url": str(video), "loop": True}, "fps": 50}
        )
    )
    vs.open()
    assert [vs.read().image.shape for _ in range(6)] == [(48, 64, 3)] * 6
    vs.close()


@pytest.mark.parametrize(("attempt", "wait"), [(1, 0.25), (2, 0.5), (3, 1.0), (9, 5.0)])
def test_backoff(attempt: int, wait: float) -> None:
    assert backoff_s(attempt, max_s=5.0) == wait


class FlakySource:
    """Fails to open until ``up`` is set; a seam for the capture loop's states."""

    name = "flaky"

    def __init__(self) -> None:
        self.up = threading.Event()
        self.n = 0

    def open(self) -> None:
        if not self.up.is_set():
            raise SourceError("connection refused")

    def read(self) -> Frame:
        if not self.up.is_set():
            raise SourceError("stream broke")
        self.n += 1
        time.sleep(0.005)
        return Frame(np.zeros((8, 8, 3), np.uint8), self.n, self.n)

    def close(self) -> None:
        return None


def test_capture_goes_offline_then_recovers_and_taps_every_frame() -> None:
    src = FlakySource()
    q: DropOldestQueue[Frame] = DropOldestQueue(2)
    tap = FrameTap()
    sub = tap.subscribe("cam", maxlen=1000)
    states: list[str] = []
    worker = CaptureWorker(
        "cam",
        src,
        q,
        tap,
        offline_after_s=0.3,
        reconnect_max_s=0.1,
        on_state=lambda _c, s, _r: states.append(s),
    )
    worker.start()
    try:
        deadline = threading.Event()
        for _ in range(100):
            if worker.state == "offline":
                break
            deadline.wait(0.02)
        assert worker.state == "offline" and worker.reason == "connection refused"
        src.up.set()
        for _ in range(200):
            if worker.frames > 20:
                break
            deadline.wait(0.02)
        assert str(worker.state) == "online"
    finally:
        worker.stop()
    assert states[:3] == ["reconnecting", "offline", "online"]
    assert len(q) == 2 and q.dropped >= worker.frames - 2, "the queue drops the oldest"
    tapped = 0
    while sub.get(0) is not None:
        tapped += 1
    assert tapped + sub.dropped == worker.frames and tapped > 20


def test_motion_gate_scans_periodically_and_on_motion() -> None:
    gate = MotionGate(enabled=True, threshold_norm=0.002, full_scan_s=2.0)
    still = np.full((180, 320, 3), 90, np.uint8)
    moved = still.copy()
    cv2.rectangle(moved, (100, 60), (160, 120), (255, 255, 255), -1)
    got = [
        gate.should_detect(img, t)
        for img, t in [
            (still, 0),
            (still, 500),
            (still, 1000),
            (moved, 1500),
            (moved, 2000),
            (moved, 2500),
        ]
    ]
    assert got == ["scan", None, None, "motion", "scan", None]
    assert MotionGate(False, 0.002, 2.0).should_detect(still, 0) == "always"

"""A stand-in capture loop: renders a synthetic scene at its fps and publishes to a FrameTap.

The edge agent publishes real captures the same way; tests and benchmarks use this to feed
the video path without a camera. ``stamp`` may draw into each frame before it is published
(the latency benchmark writes the capture time into the picture).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from edge.frame_tap import FrameTap, TappedFrame

Image = npt.NDArray[np.uint8]
Render = Callable[[], Image]


class PacedCamera:
    """Calls ``render`` ``fps`` times a second in a thread and publishes the frames."""

    def __init__(
        self,
        camera_id: str,
        render: Render,
        tap: FrameTap,
        fps: float,
        stamp: Callable[[Image, int], None] | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.frames_published = 0
        self._render = render
        self._tap = tap
        self._period_s = 1.0 / fps
        self._stamp = stamp
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"cam-{camera_id}", daemon=True)

    def start(self) -> PacedCamera:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        next_t = time.monotonic()
        while not self._stop.is_set():
            if self._tap.has_subscribers(self.camera_id):
                image = self._render()
                captured_ms = time.time_ns() // 1_000_000
                if self._stamp is not None:
                    self._stamp(image, captured_ms)
                self._tap.publish(
                    TappedFrame(self.camera_id, image, captured_ms, self.frames_published)
                )
                self.frames_published += 1
            next_t += self._period_s
            delay = next_t - time.monotonic()
            if delay < 0:
                next_t = time.monotonic()  # fell behind: do not burst to catch up
            self._stop.wait(max(0.0, delay))

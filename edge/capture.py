"""The capture thread of one camera: read, tap, enqueue; reconnect with backoff; offline state.

A camera is online from its first picture after a (re)connect, not from the connect itself.
An outage's clock (``offline_after_s``) restarts only after the camera stayed up that long,
so a camera that connects, sends a few pictures and breaks again (garbage, a flapping link)
still goes ``offline`` instead of bouncing between ``online`` and ``reconnecting``.
A change of picture size needs no reconnect (zones are normalised, every consumer resizes):
it is reported as the camera's reason, with a stats message at once.

Every captured frame goes to the ``FrameTap`` (video, verification) at the stream's own
resolution and into the camera's drop-oldest queue for inference. With a sub stream, two
workers run: the main stream feeds only the tap, the sub stream only the queue.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from edge.frame_queue import DropOldestQueue
from edge.frame_tap import FrameTap, TappedFrame
from edge.sources.base import Frame, FrameSource, SourceEnded, SourceError

log = logging.getLogger(__name__)

CameraState = Literal["starting", "online", "reconnecting", "offline"]


def backoff_s(attempt: int, max_s: float, base_s: float = 0.25) -> float:
    """Wait before reconnect ``attempt`` (1-based): doubling from ``base_s`` up to ``max_s``."""
    return float(min(max_s, base_s * (2 ** max(attempt - 1, 0))))


class CaptureWorker:
    def __init__(
        self,
        camera_id: str,
        source: FrameSource,
        queue: DropOldestQueue[Frame] | None,
        tap: FrameTap | None,
        *,
        offline_after_s: float,
        reconnect_max_s: float,
        lockstep: bool = False,
        on_state: Callable[[str, CameraState, str | None], None] | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.source = source
        self.state: CameraState = "starting"
        self.reason: str | None = None
        self.frames = 0
        self.last_frame_ms: int | None = None
        self.resolution_wh: tuple[int, int] | None = None
        self.resolution_changes = 0
        self._queue = queue
        self._tap = tap
        self._offline_after_s = offline_after_s
        self._reconnect_max_s = reconnect_max_s
        self._lockstep = lockstep
        self._on_state = on_state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"capture-{camera_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _set_state(self, state: CameraState, reason: str | None) -> None:
        changed = state != self.state
        self.state, self.reason = state, reason
        if changed:
            log.info("camera %s: %s%s", self.camera_id, state, f" ({reason})" if reason else "")
            if self._on_state is not None:
                self._on_state(self.camera_id, state, reason)

    def _note(self, reason: str) -> None:
        """Report something about a camera that stays in its state (a new resolution)."""
        self.reason = reason
        log.warning("camera %s: %s", self.camera_id, reason)
        if self._on_state is not None:
            self._on_state(self.camera_id, self.state, reason)

    def _run(self) -> None:
        attempt = 0
        down_since = time.monotonic()
        self._up_since: float | None = None
        try:
            while not self._stop.is_set():
                try:
                    self.source.open()
                    attempt = 0
                    self._pump()
                except SourceEnded as exc:
                    self._set_state("offline", str(exc))
                    return
                except SourceError as exc:
                    up_since, self._up_since = self._up_since, None
                    if (
                        up_since is not None
                        and time.monotonic() - up_since >= self._offline_after_s
                    ):
                        down_since = time.monotonic()  # a new outage, not the same one flapping
                    attempt += 1
                    down_s = time.monotonic() - down_since
                    state: CameraState = (
                        "offline" if down_s >= self._offline_after_s else "reconnecting"
                    )
                    self._set_state(state, str(exc))
                    self.source.close()
                    self._wait_reporting(
                        backoff_s(attempt, self._reconnect_max_s),
                        down_since + self._offline_after_s,
                        str(exc),
                    )
        finally:
            self.source.close()

    def _wait_reporting(self, wait_s: float, offline_at: float, reason: str) -> None:
        """Wait before the next attempt; if the outage reaches ``offline_after_s`` meanwhile,
        say ``offline`` then, not at the next attempt (which may be ``reconnect_max_s`` off)."""
        until = time.monotonic() + wait_s
        if self.state != "offline" and offline_at < until:
            if self._stop.wait(max(0.0, offline_at - time.monotonic())):
                return
            self._set_state("offline", reason)
        self._stop.wait(max(0.0, until - time.monotonic()))

    def _pump(self) -> None:
        while not self._stop.is_set():
            frame = self.source.read()
            if self._up_since is None:  # online once pictures come, not once connected
                self._up_since = time.monotonic()
                self._set_state("online", None)
            self.frames += 1
            self.last_frame_ms = frame.captured_ms
            height, width = frame.image.shape[:2]
            if self.resolution_wh not in (None, (width, height)):
                self.resolution_changes += 1
                old_w, old_h = self.resolution_wh or (0, 0)
                self._note(f"resolution changed from {old_w}x{old_h} to {width}x{height}")
            self.resolution_wh = (width, height)
            if self._tap is not None:
                self._tap.publish(
                    TappedFrame(self.camera_id, frame.image, frame.captured_ms, frame.index)
                )
            if self._queue is None:
                continue
            if self._lockstep:
                if not self._queue.put_wait(frame, self._stop):
                    return
            else:
                self._queue.put(frame)

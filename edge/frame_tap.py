"""Fan-out of captured frames to optional consumers (video encoder, zone verification).

Capture threads call ``publish``; it never blocks and never grows memory: each subscriber
holds a bounded deque that drops its oldest frame when full.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class TappedFrame:
    camera_id: str
    image: npt.NDArray[np.uint8]  # BGR, the stream's own resolution
    captured_ms: int  # Unix epoch milliseconds at capture
    frame_index: int


class Subscription:
    """One consumer's bounded, drop-oldest view of one camera's frames."""

    def __init__(self, tap: FrameTap, camera_id: str, maxlen: int) -> None:
        self.camera_id = camera_id
        self.dropped = 0
        self._tap = tap
        self._frames: deque[TappedFrame] = deque(maxlen=maxlen)
        self._ready = threading.Condition()
        self._closed = False

    def _push(self, frame: TappedFrame) -> None:
        with self._ready:
            if len(self._frames) == self._frames.maxlen:
                self.dropped += 1
            self._frames.append(frame)
            self._ready.notify()

    def get(self, timeout_s: float | None = None) -> TappedFrame | None:
        """The oldest frame still held, waiting up to ``timeout_s``; None on timeout or close."""
        with self._ready:
            if not self._frames and not self._closed:
                self._ready.wait(timeout_s)
            return self._frames.popleft() if self._frames else None

    def close(self) -> None:
        self._tap._remove(self)
        with self._ready:
            self._closed = True
            self._ready.notify_all()


class FrameTap:
    """Publish/subscribe of frames per camera, safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, list[Subscription]] = {}

    def subscribe(self, camera_id: str, maxlen: int = 2) -> Subscription:
        sub = Subscription(self, camera_id, maxlen)
        with self._lock:
            self._subs.setdefault(camera_id, []).append(sub)
        return sub

    def has_subscribers(self, camera_id: str) -> bool:
        with self._lock:
            return bool(self._subs.get(camera_id))

    def publish(self, frame: TappedFrame) -> None:
        with self._lock:
            subs = list(self._subs.get(frame.camera_id, ()))
        for sub in subs:
            sub._push(frame)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.camera_id, [])
            if sub in subs:
                subs.remove(sub)

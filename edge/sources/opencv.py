"""RTSP/HTTP streams, video files and USB devices through OpenCV (FFmpeg / V4L2)."""

from __future__ import annotations

import time
from typing import Any

import cv2
import numpy as np

from edge.sources.base import Frame, SourceEnded, SourceError


class OpenCvSource:
    """``cv2.VideoCapture`` with open/read timeouts; files are paced at ``fps`` and may loop."""

    def __init__(
        self,
        target: str | int,
        *,
        fps: float,
        is_file: bool = False,
        loop: bool = False,
        timeout_ms: int = 5000,
    ) -> None:
        self.name = f"device:{target}" if isinstance(target, int) else str(target)
        self._target = target
        self._fps = fps
        self._is_file = is_file
        self._loop = loop
        self._timeout_ms = timeout_ms
        self._cap: Any = None
        self._index = 0
        self._next_s = 0.0

    def open(self) -> None:
        self.close()
        if isinstance(self._target, int) or self._target.startswith("/dev/"):
            cap = cv2.VideoCapture(self._target)
        else:
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                self._timeout_ms,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                self._timeout_ms,
            ]
            cap = cv2.VideoCapture(self._target, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"cannot open {self.name}")
        self._cap = cap
        self._next_s = time.monotonic()

    def read(self) -> Frame:
        if self._cap is None:
            raise SourceError(f"{self.name} is not open")
        if self._is_file:
            wait = self._next_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._next_s = max(self._next_s + 1.0 / self._fps, time.monotonic() - 1.0)
        ok, image = self._cap.read()
        if not ok and self._is_file and self._loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._cap.read()
        if not ok or image is None:
            if self._is_file and not self._loop:
                raise SourceEnded(f"{self.name} has ended")
            raise SourceError(f"no frame from {self.name}")
        self._index += 1
        return Frame(np.ascontiguousarray(image), int(time.time() * 1000), self._index - 1)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

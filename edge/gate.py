"""Motion gating plus a periodic full scan, so objects that stop moving are still seen."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

GATE_WIDTH = 160


class MotionGate:
    """Decide per frame whether to run the detector.

    Motion is a blurred frame difference on a 160-px-wide grey copy (a fraction of pixels
    changed by more than ``pixel_delta``); a full scan is due every ``full_scan_s``
    whatever the motion. With gating off every frame is detected.
    """

    def __init__(
        self,
        enabled: bool,
        threshold_norm: float,
        full_scan_s: float,
        pixel_delta: int = 25,
    ) -> None:
        self.enabled = enabled
        self.threshold_norm = threshold_norm
        self.full_scan_ms = int(full_scan_s * 1000)
        self.pixel_delta = pixel_delta
        self._prev: npt.NDArray[np.uint8] | None = None
        self._last_scan_ms: int | None = None
        self.last_motion_norm = 0.0

    def motion(self, image: npt.NDArray[np.uint8]) -> float:
        h, w = image.shape[:2]
        small = cv2.resize(image, (GATE_WIDTH, max(1, round(h * GATE_WIDTH / w))))
        grey = np.asarray(
            cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0), np.uint8
        )
        prev, self._prev = self._prev, grey
        if prev is None or prev.shape != grey.shape:
            return 1.0
        changed = cv2.absdiff(grey, prev) > self.pixel_delta
        return float(np.count_nonzero(changed)) / changed.size

    def should_detect(self, image: npt.NDArray[np.uint8], t_ms: int) -> str | None:
        """``"motion"``, ``"scan"``, ``"always"`` or None (skip this frame)."""
        if not self.enabled:
            return "always"
        self.last_motion_norm = self.motion(image)
        if self._last_scan_ms is None or t_ms - self._last_scan_ms >= self.full_scan_ms:
            self._last_scan_ms = t_ms
            return "scan"
        if self.last_motion_norm >= self.threshold_norm:
            return "motion"
        return None

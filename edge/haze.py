"""An image haze (dust) score per zone, cell by cell, against a slowly learned baseline.

A dust plume washes colours out towards grey-beige in part of the picture: each cell of a
coarse grid over the zone's bounding box scores its whiteness (mean darkest channel over mean
brightest channel, 0–1), which a uniform change of brightness leaves where it was. The zone's
excess is the largest rise of any cell above that cell's baseline.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

GRID_WH = (8, 4)
F32 = npt.NDArray[np.float32]


def haze_cells(image: npt.NDArray[np.uint8], rect: tuple[int, int, int, int]) -> F32:
    """Whiteness of each grid cell inside ``rect`` (x, y, w, h in image pixels)."""
    x, y, w, h = rect
    roi = image[y : y + h, x : x + w]
    if roi.size == 0:
        return np.zeros((GRID_WH[1], GRID_WH[0]), np.float32)
    lo = cv2.resize(roi.min(axis=2).astype(np.float32), GRID_WH, interpolation=cv2.INTER_AREA)
    hi = cv2.resize(roi.max(axis=2).astype(np.float32), GRID_WH, interpolation=cv2.INTER_AREA)
    return np.asarray(lo / np.maximum(hi, 1.0), np.float32)


class HazeBaseline:
    """Per-cell exponential average with time constant ``tau_s``; the caller freezes it while
    dust is reported, so a standing plume does not become the new normal."""

    def __init__(self, tau_s: float = 60.0, warmup: int = 5) -> None:
        self.tau_s = tau_s
        self.warmup = warmup
        self.value: F32 | None = None
        self.samples = 0
        self._last_ms: int | None = None

    def excess(self, cells: F32) -> float | None:
        """Largest rise of a cell above its baseline; None while still learning."""
        if self.value is None or self.samples < self.warmup or self.value.shape != cells.shape:
            return None
        return float((cells - self.value).max())

    def learn(self, cells: F32, t_ms: int) -> None:
        if self.value is None or self._last_ms is None or self.value.shape != cells.shape:
            self.value = cells.copy()
            self.samples = 0
        else:
            dt = max(0.0, (t_ms - self._last_ms) / 1000.0)
            warm = self.samples < self.warmup
            alpha = 0.5 if warm else 1.0 - math.exp(-dt / self.tau_s)
            self.value += np.float32(alpha) * (cells - self.value)
        self._last_ms = t_ms
        self.samples += 1

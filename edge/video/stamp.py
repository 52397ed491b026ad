"""Write a capture time into a picture and read it back after encoding and transport.

32 bits of the Unix epoch milliseconds as two rows of 16 black/white blocks in the top-left
corner, big enough to survive VP8/H.264 at modest bitrates and a downscale by two. Reading
needs a reference time within ±24 days to restore the high bits. Pure numpy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BITS = 32
PER_ROW = 16
BLOCK_PX = 20  # at the stamped resolution
_MASK = (1 << BITS) - 1


def stamp(image: npt.NDArray[np.uint8], epoch_ms: int) -> None:
    """Draw ``epoch_ms`` (mod 2**32) into ``image`` in place (BGR or grey)."""
    need_w, need_h = PER_ROW * BLOCK_PX, (BITS // PER_ROW) * BLOCK_PX
    if image.shape[1] < need_w or image.shape[0] < need_h:
        raise ValueError(
            f"image {image.shape[1]}x{image.shape[0]} is smaller than {need_w}x{need_h}"
        )
    value = epoch_ms & _MASK
    for bit in range(BITS):
        row, col = divmod(bit, PER_ROW)
        on = (value >> (BITS - 1 - bit)) & 1
        y, x = row * BLOCK_PX, col * BLOCK_PX
        image[y : y + BLOCK_PX, x : x + BLOCK_PX] = 255 if on else 0


def read_stamp(image: npt.NDArray[np.uint8], stamped_width: int, reference_ms: int) -> int:
    """The epoch ms stamped into ``image`` (which may be scaled from ``stamped_width``)."""
    scale = image.shape[1] / stamped_width
    grey = image.mean(axis=2) if image.ndim == 3 else image.astype(np.float64)
    value = 0
    half = BLOCK_PX * scale / 2
    for bit in range(BITS):
        row, col = divmod(bit, PER_ROW)
        cy = int((row * BLOCK_PX + BLOCK_PX / 2) * scale)
        cx = int((col * BLOCK_PX + BLOCK_PX / 2) * scale)
        r = max(1, int(half / 2))
        on = grey[cy - r : cy + r, cx - r : cx + r].mean() > 127
        value = (value << 1) | int(on)
    base = reference_ms & ~_MASK
    candidates = (base - (1 << BITS) + value, base + value, base + (1 << BITS) + value)
    return min(candidates, key=lambda c: abs(c - reference_ms))

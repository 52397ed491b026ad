"""Snapshot JPEGs with boxes drawn, held under a byte cap."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

COLOURS = {"gas_cylinder": (0, 80, 255), "waste": (0, 200, 255), "dust": (200, 200, 200)}


def annotate(
    image: npt.NDArray[np.uint8],
    boxes_norm: Sequence[tuple[tuple[float, float, float, float], str, float]],
) -> npt.NDArray[np.uint8]:
    """A copy of ``image`` with labelled boxes (normalised xyxy, class name, confidence)."""
    out = image.copy()
    h, w = out.shape[:2]
    thick = max(1, round(w / 400))
    for (x0, y0, x1, y1), name, conf in boxes_norm:
        colour = COLOURS.get(name, (0, 255, 0))
        p0, p1 = (round(x0 * w), round(y0 * h)), (round(x1 * w), round(y1 * h))
        cv2.rectangle(out, p0, p1, colour, thick)
        cv2.putText(
            out,
            f"{name} {conf:.2f}",
            (p0[0], max(12, p0[1] - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * thick,
            colour,
            thick,
        )
    return out


def encode_capped(image: npt.NDArray[np.uint8], max_bytes: int, max_width: int) -> bytes:
    """JPEG-encode at falling quality, then smaller size, until it fits ``max_bytes``."""
    h, w = image.shape[:2]
    if w > max_width:
        image = np.asarray(cv2.resize(image, (max_width, round(h * max_width / w))), np.uint8)
    while True:
        for quality in (85, 70, 55, 40):
            ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok and len(buf) <= max_bytes:
                return bytes(buf.tobytes())
        h, w = image.shape[:2]
        if w < 64:
            raise ValueError(f"cannot fit a JPEG under {max_bytes} bytes")
        image = np.asarray(cv2.resize(image, (w // 2, max(1, h // 2))), np.uint8)

"""How much a zone changed between the alarm frame and a later frame: 0 same, 1 unrelated. Pure.

Verification by camera must not trust the detector alone: a detector that has gone blind
to a pile (a new angle, a model update, rain) reports nothing while the pile is still
there. The second witness is this measure: does the place where the alarm was still look
like the alarm frame?

What is compared: the alarm's boxes (each grown by ``FOCUS_GROW``) inside the zone, so a
small pile in a large zone counts in full and a passer-by elsewhere in the zone does not;
the whole zone when the alarm had no boxes (a haze-only dust alarm). Both frames are cut to
that region with ``CONTEXT`` box sizes of margin (within the zone's bounding rectangle),
turned grey and brought down to at most ``SIDE`` pixels on the longer side (never up).
Each pixel's gradient is spread over ``BINS`` orientation channels and each channel is
smoothed (``SPREAD_PX``), a field of local edge-orientation histograms, so a shift of a
pixel or two barely matters. Gradient magnitudes are divided by their mean over the crop's
part of the zone, so a brighter or darker frame (gain, offset, a mild gamma) compares as the
same scene; JPEG and sensor noise are small beside real edges. Per pixel,
``2 a·b / (|a|² + |b|²)`` is 1 where the local structure is the same and 0 where it is
unrelated or gone; the change is one minus its weighted mean over the region, each pixel
weighted by ``|a| + |b|`` (where either frame has structure) up to the region's mean, so a
few strong unchanged edges (a kerb, a lane line) cannot outvote the pile.

Measured (``tests/edge/test_scene_change_photos.py``, ``docs/edge.md``) on the 124 real
street photos with a labelled pile in the shared validation set: the same photo after a
brightness, gamma, noise, JPEG or 2-pixel shift change scores at most 0.12; another photo
at least 0.32; the pile smeared away (inpainted) 0.19–0.6, median 0.39.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

SIDE = 192
"""Longest side, in pixels, of the crop the measure works on."""
BINS = 9
"""Unsigned gradient orientation channels (20° each)."""
SPREAD_PX = 4.0
"""Gaussian sigma, in crop pixels, that turns each channel into local histograms."""
FOCUS_GROW = 0.25
"""Each alarm box is grown by this fraction of its width and height on every side."""
CONTEXT = 1.0
"""The crop around the alarm boxes reaches this many box widths/heights beyond them."""
MIN_ZONE_PX = 8
"""A zone narrower or lower than this in the frame cannot be compared."""
MIN_CONTRAST = 4.0
"""Grey standard deviation (0–255) under which a zone crop shows nothing to compare."""

BoxNorm = tuple[float, float, float, float]
Image = npt.NDArray[np.uint8]
FloatImage = npt.NDArray[np.float32]


class SceneCompareError(ValueError):
    """The two frames cannot be compared (zone too small, a frame dark, covered or blank)."""


def scene_change(
    before: Image,
    after: Image,
    zone_norm: Sequence[tuple[float, float]],
    focus_norm: Sequence[BoxNorm] = (),
) -> float:
    """How changed the zone is in ``after`` against ``before``, from 0 (same) to 1.

    ``zone_norm`` is the zone polygon and ``focus_norm`` the alarm's boxes (``x0, y0, x1,
    y1``), both as 0–1 fractions of the frame; frames of different sizes (the same camera
    stored and read at other resolutions) are compared at the smaller one. Raises
    ``SceneCompareError`` when the frames cannot tell.
    """
    if len(zone_norm) < 3:
        raise SceneCompareError(f"a zone needs at least 3 points, got {len(zone_norm)}")
    if before.shape[1] > after.shape[1]:
        before = _resized(before, after)
    elif after.shape[:2] != before.shape[:2]:
        after = _resized(after, before)
    h, w = before.shape[:2]
    poly = np.asarray([(x * w, y * h) for x, y in zone_norm], np.float32)
    x0, y0 = max(int(np.floor(poly[:, 0].min())), 0), max(int(np.floor(poly[:, 1].min())), 0)
    x1, y1 = min(int(np.ceil(poly[:, 0].max())), w), min(int(np.ceil(poly[:, 1].max())), h)
    if x1 - x0 < MIN_ZONE_PX or y1 - y0 < MIN_ZONE_PX:
        raise SceneCompareError(
            f"the zone covers {x1 - x0}x{y1 - y0} px of a {w}x{h} frame; "
            f"at least {MIN_ZONE_PX}x{MIN_ZONE_PX} is needed"
        )
    rect, scale, size, zone_mask = _crop_plan(poly, (x0, y0, x1, y1))
    if focus_norm:
        fx0, fy0, fx1, fy1 = _around(focus_norm, CONTEXT, (w, h))
        near = (max(x0, fx0), max(y0, fy0), min(x1, fx1), min(y1, fy1))
        if near[2] - near[0] >= MIN_ZONE_PX and near[3] - near[1] >= MIN_ZONE_PX:
            plan = _crop_plan(poly, near)
            if plan[3].any():  # boxes outside the zone: keep the whole zone
                rect, scale, size, zone_mask = plan
    if not zone_mask.any():
        raise SceneCompareError(f"the zone polygon {list(zone_norm)} covers no pixel")
    a = _grey_crop(before, rect, size)
    b = _grey_crop(after, rect, size)
    origin = (rect[0], rect[1])
    for name, crop in (("alarm", a), ("current", b)):
        spread = float(crop[zone_mask].std())
        if spread < MIN_CONTRAST:
            raise SceneCompareError(
                f"the {name} frame shows almost nothing in the zone (grey spread {spread:.1f} "
                f"< {MIN_CONTRAST:g}: dark, covered or washed out)"
            )
    mask = zone_mask
    if focus_norm:
        focus = zone_mask & _boxes_mask(focus_norm, (w, h), origin, scale, size)
        if focus.any():
            mask = focus
    ha, hb = _orientation_field(a, zone_mask), _orientation_field(b, zone_mask)
    na, nb = (ha * ha).sum(axis=-1), (hb * hb).sum(axis=-1)
    both = na + nb
    weight = np.sqrt(na) + np.sqrt(nb)
    mean_weight = float(weight[mask].mean())
    if mean_weight <= 1e-9:
        return 0.0  # flat in both: nothing there before, nothing there now
    weight = np.minimum(weight / mean_weight, 1.0)
    same = np.where(both > 0, 2.0 * (ha * hb).sum(axis=-1) / np.maximum(both, 1e-12), 1.0)
    total = float(weight[mask].sum())
    return float(min(max(1.0 - float((same * weight)[mask].sum()) / total, 0.0), 1.0))


def _crop_plan(
    poly: npt.NDArray[np.float32], rect: tuple[int, int, int, int]
) -> tuple[tuple[int, int, int, int], float, tuple[int, int], npt.NDArray[np.bool_]]:
    """The crop of ``rect``: its scale, its size and the zone's pixels in it."""
    x0, y0, x1, y1 = rect
    scale = min(1.0, SIDE / max(x1 - x0, y1 - y0))
    size = (max(round((x1 - x0) * scale), MIN_ZONE_PX), max(round((y1 - y0) * scale), MIN_ZONE_PX))
    return rect, scale, size, _polygon_mask(poly, (x0, y0), scale, size)


def _around(
    boxes: Sequence[BoxNorm], grow: float, frame_wh: tuple[int, int]
) -> tuple[int, int, int, int]:
    """Pixel rectangle around ``boxes``, each grown by ``grow`` of its size on every side."""
    w, h = frame_wh
    x0 = min((b[0] - (b[2] - b[0]) * grow) * w for b in boxes)
    y0 = min((b[1] - (b[3] - b[1]) * grow) * h for b in boxes)
    x1 = max((b[2] + (b[2] - b[0]) * grow) * w for b in boxes)
    y1 = max((b[3] + (b[3] - b[1]) * grow) * h for b in boxes)
    return int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1))


def _resized(image: Image, like: Image) -> Image:
    size = (like.shape[1], like.shape[0])
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)


def _grey_crop(image: Image, rect: tuple[int, int, int, int], size: tuple[int, int]) -> FloatImage:
    x0, y0, x1, y1 = rect
    crop = image[y0:y1, x0:x1]
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), np.float32)


def _polygon_mask(
    poly: npt.NDArray[np.float32], origin: tuple[int, int], scale: float, size: tuple[int, int]
) -> npt.NDArray[np.bool_]:
    pts = ((poly - np.asarray(origin, np.float32)) * scale).round().astype(np.int32)
    mask = np.zeros((size[1], size[0]), np.uint8)
    cv2.fillPoly(mask, [pts.reshape(-1, 1, 2)], 1)
    return mask.astype(bool)


def _boxes_mask(
    boxes: Sequence[BoxNorm],
    frame_wh: tuple[int, int],
    origin: tuple[int, int],
    scale: float,
    size: tuple[int, int],
) -> npt.NDArray[np.bool_]:
    w, h = frame_wh
    mask = np.zeros((size[1], size[0]), bool)
    for bx0, by0, bx1, by1 in boxes:
        gx, gy = (bx1 - bx0) * FOCUS_GROW, (by1 - by0) * FOCUS_GROW
        c0 = int(np.floor(((bx0 - gx) * w - origin[0]) * scale))
        c1 = int(np.ceil(((bx1 + gx) * w - origin[0]) * scale))
        r0 = int(np.floor(((by0 - gy) * h - origin[1]) * scale))
        r1 = int(np.ceil(((by1 + gy) * h - origin[1]) * scale))
        mask[max(r0, 0) : max(r1, 0), max(c0, 0) : max(c1, 0)] = True
    return mask


def _orientation_field(grey: FloatImage, zone_mask: npt.NDArray[np.bool_]) -> FloatImage:
    """Per pixel, ``BINS`` smoothed channels of gradient magnitude by orientation, with the
    magnitudes divided by their mean over the zone (gain-free)."""
    smooth = cv2.GaussianBlur(grey, (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    mag = mag / max(float(mag[zone_mask].mean()), 1e-3)
    pos = (np.arctan2(gy, gx) % np.pi) / np.pi * BINS
    low = np.floor(pos)
    frac = (pos - low).astype(np.float32)
    low_bin = low.astype(np.int32) % BINS
    high_bin = (low_bin + 1) % BINS
    out = np.empty((*grey.shape, BINS), np.float32)
    for k in range(BINS):
        share = np.where(low_bin == k, 1.0 - frac, 0.0) + np.where(high_bin == k, frac, 0.0)
        out[..., k] = cv2.GaussianBlur((mag * share).astype(np.float32), (0, 0), SPREAD_PX)
    return out

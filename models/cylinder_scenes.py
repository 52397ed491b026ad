"""Real cylinders in real street scenes: cut-outs pasted into the street photos.

A group of 1-12 cylinders stands (or leans) on the ground of a real street photo. Its size
comes from the scene: where the photo has labelled bins (about 1.0 m tall) a cylinder (about
0.6 m) is scaled from the nearest bin's height at its foot line; elsewhere from a ground plane
whose horizon sits in the upper part of the frame (things lower in the frame are nearer and
larger). Each cylinder gets a contact shadow, neighbours overlap (the back row is partly
hidden), and the finished frame goes through a CCTV look: blur, low light, noise, JPEG.
"""

from __future__ import annotations

import cv2
import numpy as np

from models.cutouts import Cutout, ImageU8

Box = tuple[float, float, float, float]
BIN_M, CYLINDER_M = 1.0, 0.6


def cylinder_height_px(foot_y: float, h: int, bins: list[Box], rng: np.random.Generator) -> float:
    """How tall a cylinder standing with its foot at `foot_y` looks in this photo."""
    real = CYLINDER_M * float(rng.uniform(0.75, 1.25))  # 5 kg to 50 kg bottles
    near = [b for b in bins if abs(b[3] - foot_y) < 0.12 * h]
    if near:  # a bin standing on about the same line: the same metres per pixel
        _, y0, _, y1 = min(near, key=lambda b: abs(b[3] - foot_y))
        return float(np.clip(real * (y1 - y0) / BIN_M, 10.0, 0.45 * h))
    horizon = float(rng.uniform(0.2, 0.45)) * h
    at_bottom = float(rng.uniform(0.12, 0.35)) * h  # a cylinder's height at the frame's bottom
    return float(np.clip(at_bottom * (foot_y - horizon) / (h - horizon), 10.0, 0.45 * h))


def _overlap(a: Box, b: Box) -> float:
    """The share of `b` that `a` covers."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    area = (b[2] - b[0]) * (b[3] - b[1])
    return 0.0 if w <= 0 or h <= 0 or area <= 0 else w * h / area


def _paste(frame: ImageU8, bgr: ImageU8, alpha: np.ndarray, x0: int, y0: int) -> Box | None:
    """Alpha-blend a sprite with its top-left at (x0, y0); the visible box, or None."""
    h, w = frame.shape[:2]
    sh, sw = bgr.shape[:2]
    fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + sw, w), min(y0 + sh, h)
    if fx1 - fx0 < 3 or fy1 - fy0 < 3:
        return None
    s = (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0))
    a = alpha[s][..., None]
    region = frame[fy0:fy1, fx0:fx1].astype(np.float32)
    frame[fy0:fy1, fx0:fx1] = (region * (1 - a) + bgr[s].astype(np.float32) * a).astype(np.uint8)
    ys, xs = np.nonzero(alpha[s] > 0.5)
    if len(ys) == 0:
        return None
    return (
        float(fx0 + xs.min()),
        float(fy0 + ys.min()),
        float(fx0 + xs.max() + 1),
        float(fy0 + ys.max() + 1),
    )


def _shadow(frame: ImageU8, cx: int, foot_y: int, width: int, rng: np.random.Generator) -> None:
    h, w = frame.shape[:2]
    mask: np.ndarray = np.zeros((h, w), np.float32)
    axes = (max(width // 2, 2), max(width // 7, 1))
    cv2.ellipse(mask, (cx, foot_y), axes, 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(width / 10, 1.0))
    dark = float(rng.uniform(0.35, 0.6))
    frame[:] = (frame.astype(np.float32) * (1 - dark * mask[..., None])).astype(np.uint8)


def _sized(cut: Cutout, height: float, lean_deg: float, light: float) -> tuple[ImageU8, np.ndarray]:
    ch, cw = cut.bgr.shape[:2]
    s = height / ch
    size = (max(int(cw * s), 3), max(int(ch * s), 3))
    bgr = cv2.resize(cut.bgr, size, interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(cut.alpha, size, interpolation=cv2.INTER_LINEAR)
    bgr = np.clip(bgr.astype(np.float32) * light, 0, 255).astype(np.uint8)
    if abs(lean_deg) > 0.5:
        h, w = bgr.shape[:2]
        diag = int(np.hypot(h, w)) + 2
        m = cv2.getRotationMatrix2D((w / 2, h / 2), lean_deg, 1.0)
        m[:, 2] += ((diag - w) / 2, (diag - h) / 2)
        bgr = cv2.warpAffine(bgr, m, (diag, diag))
        alpha = cv2.warpAffine(alpha, m, (diag, diag))
        ys, xs = np.nonzero(alpha > 0.05)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        bgr, alpha = bgr[y0:y1, x0:x1], alpha[y0:y1, x0:x1]
    return np.ascontiguousarray(bgr), np.ascontiguousarray(alpha.astype(np.float32))


def group_size(rng: np.random.Generator) -> int:
    """Mostly groups of 2-12 (the stacking rule's business), some single bottles."""
    return 1 if rng.random() < 0.15 else int(rng.integers(2, 13))


def paste_group(
    img: ImageU8,
    cuts: list[Cutout],
    bins: list[Box],
    rng: np.random.Generator,
    count: int,
    avoid: list[Box] | None = None,
) -> list[Box]:
    """Paste `count` cylinders (rows, back to front) onto the ground of `img`; their boxes.

    Of a few candidate spots, the one that hides least of the `avoid` boxes (the photo's
    labelled piles and bins) is taken.
    """
    h, w = img.shape[:2]
    per_row = int(rng.integers(max(1, (count + 2) // 3), count + 1))
    rows = (count + per_row - 1) // per_row
    best: tuple[float, float, float, float] | None = None
    for _ in range(8):
        fy = float(rng.uniform(0.55, 0.97)) * h
        ht = cylinder_height_px(fy, h, bins, rng)
        xs = float(rng.uniform(0.02, 0.98)) * w - per_row * 0.45 * ht / 2
        span = (xs, fy - ht * (1 + 0.18 * (rows - 1)), xs + per_row * 0.45 * ht, fy)
        hidden = sum(_overlap(span, b) for b in avoid or [])
        if best is None or hidden < best[0]:
            best = (hidden, fy, ht, xs)
    assert best is not None
    _, foot_y, height, x_start = best
    width_guess = 0.45 * height
    light = float(rng.uniform(0.7, 1.05))  # the scene's light on the bottles
    boxes: list[Box] = []
    # back rows first: nearer (lower, larger) rows are pasted over them
    for row in range(rows - 1, -1, -1):
        row_y = foot_y - row * 0.18 * height
        row_h = height * (1 - 0.06 * row)
        n_here = per_row if row < rows - 1 else count - per_row * (rows - 1)
        x = x_start + row * 0.3 * width_guess
        _shadow(
            img, int(x + n_here * width_guess / 2), int(row_y), int(n_here * width_guess * 1.1), rng
        )
        for _ in range(n_here):
            cut = cuts[int(rng.integers(0, len(cuts)))]
            lean = float(rng.uniform(-25, 25)) if rng.random() < 0.2 else float(rng.uniform(-3, 3))
            bgr, alpha = _sized(cut, row_h * float(rng.uniform(0.9, 1.1)), lean, light)
            sh, sw = bgr.shape[:2]
            box = _paste(img, bgr, alpha, int(x), int(row_y - sh))
            if box is not None:
                boxes.append(box)
            x += sw * float(rng.uniform(0.8, 1.05))  # neighbours touch or overlap
    return visible(boxes)


def visible(boxes: list[Box], min_share: float = 0.4) -> list[Box]:
    """Boxes pasted earlier (further back) lose the area later ones cover; those left with less
    than `min_share` of their area in view are not labelled."""
    out = []
    for i, b in enumerate(boxes):
        area = (b[2] - b[0]) * (b[3] - b[1])
        covered = np.zeros((max(int(b[3] - b[1]), 1), max(int(b[2] - b[0]), 1)), bool)
        for f in boxes[i + 1 :]:
            x0, y0 = int(max(f[0] - b[0], 0)), int(max(f[1] - b[1], 0))
            x1, y1 = int(min(f[2] - b[0], b[2] - b[0])), int(min(f[3] - b[1], b[3] - b[1]))
            if x1 > x0 and y1 > y0:
                covered[y0:y1, x0:x1] = True
        if area > 0 and 1 - covered.mean() >= min_share:
            out.append(b)
    return out


def cctv(img: ImageU8, rng: np.random.Generator) -> ImageU8:
    """A street camera's look: softer, sometimes dim and noisy, JPEG-compressed."""
    f: np.ndarray = img.astype(np.float32)
    h, w = img.shape[:2]
    if rng.random() < 0.5:  # lower resolution, scaled back up
        s = float(rng.uniform(0.4, 0.8))
        small = cv2.resize(
            f, (max(int(w * s), 16), max(int(h * s), 16)), interpolation=cv2.INTER_AREA
        )
        f = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.3:
        f = cv2.GaussianBlur(f, (0, 0), float(rng.uniform(0.5, 1.5)))
    if rng.random() < 0.25:  # dusk / night: dim, blue-grey, noisy
        f = 255.0 * (f / 255.0) ** float(rng.uniform(1.4, 2.2)) * float(rng.uniform(0.5, 0.8))
        f = f * np.array([1.1, 1.0, 0.9], np.float32)
        f += rng.normal(0, float(rng.uniform(3, 9)), f.shape).astype(np.float32)
    elif rng.random() < 0.5:
        f += rng.normal(0, float(rng.uniform(1, 4)), f.shape).astype(np.float32)
    out = np.clip(f, 0, 255).astype(np.uint8)
    ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 85))])
    dec = cv2.imdecode(enc, cv2.IMREAD_COLOR) if ok else None
    return out if dec is None else np.asarray(dec, np.uint8)

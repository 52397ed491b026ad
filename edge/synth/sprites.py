"""Target-object sprites: LPG cylinders, waste bags and piles, dust plumes.

Every renderer builds a `Sprite` (BGR colour plus an alpha mask) at a size in pixels; `paste`
composites it onto a BGR uint8 frame and returns the pixel box `xyxy` of what is visible.
The `draw_*` helpers do both in one call. Sizes are real-world metres times `px_per_m`, so
a scene with perspective can scale objects by where they stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

Box = tuple[int, int, int, int]
ImageU8 = npt.NDArray[np.uint8]
ArrayF = npt.NDArray[np.float32]

CylinderSize = Literal["15kg", "5kg", "2kg"]
CylinderColour = Literal["blue", "grey", "red", "white"]
BagColour = Literal["black", "white", "blue"]

# (diameter m, total height m incl. shroud) of common LPG bottles.
CYLINDER_DIMS_M: dict[CylinderSize, tuple[float, float]] = {
    "15kg": (0.31, 0.60),
    "5kg": (0.26, 0.38),
    "2kg": (0.20, 0.30),
}
CYLINDER_BGR: dict[CylinderColour, tuple[int, int, int]] = {
    "blue": (165, 85, 25),
    "grey": (135, 135, 128),
    "red": (38, 35, 185),
    "white": (222, 224, 226),
}
BAG_BGR: dict[BagColour, tuple[int, int, int]] = {
    "black": (28, 28, 30),
    "white": (215, 218, 220),
    "blue": (160, 105, 40),
}


@dataclass(frozen=True)
class Sprite:
    """A colour patch with per-pixel opacity in 0-1 (same height and width)."""

    bgr: ImageU8
    alpha: ArrayF

    @property
    def size_wh(self) -> tuple[int, int]:
        return int(self.bgr.shape[1]), int(self.bgr.shape[0])

    def rotated90(self) -> Sprite:
        """The sprite turned a quarter turn (an upright cylinder lying on its side)."""
        return Sprite(
            np.ascontiguousarray(np.rot90(self.bgr)), np.ascontiguousarray(np.rot90(self.alpha))
        )


def _jitter(
    bgr: tuple[int, int, int], rng: np.random.Generator, amount: int
) -> npt.NDArray[np.float32]:
    base = np.array(bgr, dtype=np.float32) + rng.integers(-amount, amount + 1, size=3)
    out: npt.NDArray[np.float32] = np.clip(base, 0, 255).astype(np.float32)
    return out


def _column_shade(width: int, highlight: float = -0.35) -> npt.NDArray[np.float32]:
    """Brightness across a lit cylinder: darker edges, a soft highlight left of centre."""
    u = np.linspace(-1.0, 1.0, max(width, 1), dtype=np.float32)
    body = 0.45 + 0.55 * np.sqrt(np.clip(1.0 - u**2, 0.0, 1.0))
    spec = 0.35 * np.exp(-(((u - highlight) / 0.18) ** 2))
    out: npt.NDArray[np.float32] = (body + spec).astype(np.float32)
    return out


def paste(frame: ImageU8, sprite: Sprite, x0: int, y0: int) -> Box | None:
    """Alpha-composite `sprite` with its top-left at (x0, y0); return the visible box or None."""
    fh, fw = frame.shape[:2]
    sw, sh = sprite.size_wh
    fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + sw, fw), min(y0 + sh, fh)
    if fx1 <= fx0 or fy1 <= fy0:
        return None
    a = sprite.alpha[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
    src = sprite.bgr[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0].astype(np.float32)
    dst = frame[fy0:fy1, fx0:fx1].astype(np.float32)
    frame[fy0:fy1, fx0:fx1] = (dst + (src - dst) * a[..., None]).astype(np.uint8)
    ys, xs = np.nonzero(a > 0.35)
    if len(xs) == 0:
        return None
    return (
        fx0 + int(xs.min()),
        fy0 + int(ys.min()),
        fx0 + int(xs.max()) + 1,
        fy0 + int(ys.max()) + 1,
    )


def render_cylinder(
    size: CylinderSize, colour: CylinderColour, px_per_m: float, rng: np.random.Generator
) -> Sprite:
    """An upright LPG bottle: shaded body with end caps, foot ring, seam, shroud and valve."""
    dia_m, height_m = CYLINDER_DIMS_M[size]
    w = max(round(dia_m * px_per_m), 5)
    h = max(round(height_m * px_per_m), 8)
    shroud_h = max(round(h * 0.18), 2)
    foot_h = max(round(h * 0.07), 1)
    cap = max(round(w * 0.18), 1)
    mask = np.zeros((h, w), np.uint8)
    body_top, body_bot = shroud_h, h - foot_h
    cv2.rectangle(mask, (0, body_top + cap), (w - 1, body_bot - cap), 255, -1)
    cv2.ellipse(mask, (w // 2, body_top + cap), (w // 2, cap), 0, 180, 360, 255, -1)
    cv2.ellipse(mask, (w // 2, body_bot - cap), (w // 2, cap), 0, 0, 180, 255, -1)
    base = _jitter(CYLINDER_BGR[colour], rng, 14)
    shade = _column_shade(w, float(rng.uniform(-0.5, -0.2)))
    bgr = np.clip(base[None, None, :] * shade[None, :, None], 0, 255) * np.ones(
        (h, 1, 1), np.float32
    )
    # Foot ring: a narrower, darker band under the body.
    fw0, fw1 = int(w * 0.1), int(w * 0.9)
    cv2.rectangle(mask, (fw0, body_bot - 1), (fw1, h - 1), 255, -1)
    bgr[body_bot:, fw0 : fw1 + 1] *= 0.55
    # Weld seam and an optional label band.
    seam = body_top + (body_bot - body_top) // 2
    bgr[max(seam - 1, 0) : seam + 1] *= 0.7
    if rng.random() < 0.5 and h > 30:
        lb0 = body_top + (body_bot - body_top) // 4
        lb1 = lb0 + max((body_bot - body_top) // 6, 2)
        bgr[lb0:lb1, int(w * 0.25) : int(w * 0.75)] = np.array([235, 235, 235], np.float32) * 0.9
    # Shroud: a collar narrower than the body with two hand holes; the valve shows inside.
    sw0, sw1 = int(w * 0.18), int(w * 0.82)
    cv2.rectangle(mask, (sw0, 0), (sw1, body_top + cap), 255, -1)
    collar = base * 0.8 if rng.random() < 0.7 else np.array([120, 120, 118], np.float32)
    bgr[: body_top + cap, sw0 : sw1 + 1] = collar * _column_shade(sw1 - sw0 + 1)[None, :, None]
    hole_h = max(shroud_h // 3, 1)
    for hx in (int(w * 0.32), int(w * 0.68)):
        cv2.ellipse(
            mask, (hx, hole_h + 1), (max(int(w * 0.09), 1), max(hole_h // 2, 1)), 0, 0, 360, 0, -1
        )
    vx0, vx1 = int(w * 0.44), int(w * 0.56) + 1
    mask[hole_h : body_top + 1, vx0:vx1] = 255
    bgr[hole_h : body_top + 1, vx0:vx1] = np.array([40, 140, 190], np.float32)
    alpha = (mask.astype(np.float32) / 255.0).astype(np.float32)
    return Sprite(np.clip(bgr, 0, 255).astype(np.uint8), alpha)


def _blob_mask(w: int, h: int, rng: np.random.Generator, wobble: float) -> npt.NDArray[np.uint8]:
    """A lumpy closed shape with a flattened bottom, filling a w x h patch."""
    n = 40
    ang = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    radius = np.ones(n)
    for k in (2, 3, 5):
        radius += wobble / k * np.sin(k * ang + rng.uniform(0, 2 * np.pi))
    radius /= radius.max()
    xs = w / 2 + (w / 2 - 1) * radius * np.cos(ang)
    ys = h / 2 + (h / 2 - 1) * radius * np.sin(ang)
    ys = np.minimum(ys, h - 1 - 0.05 * h * np.abs(np.cos(ang)))
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.stack([xs, ys], axis=1).astype(np.int32)], 255)
    return mask


def render_bag(colour: BagColour, width_px: int, rng: np.random.Generator) -> Sprite:
    """A tied rubbish bag: lumpy body, wrinkles, a knot on top."""
    w = max(width_px, 6)
    h = max(int(w * rng.uniform(0.8, 1.15)), 6)
    body_h = int(h * 0.85)
    mask = np.zeros((h, w), np.uint8)
    mask[h - body_h :] = _blob_mask(w, body_h, rng, 0.25)
    kx = w // 2 + int(rng.integers(-w // 8, w // 8 + 1))
    knot = np.array(
        [[kx - w // 10, h - body_h + 3], [kx + w // 10, h - body_h + 3], [kx, 0]], np.int32
    )
    cv2.fillPoly(mask, [knot], 255)
    base = _jitter(BAG_BGR[colour], rng, 10)
    yy = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    light = 0.75 + 0.45 * (1.0 - yy) * (1.0 - 0.5 * np.abs(xx))
    bgr = base[None, None, :] * light[..., None]
    glossy = 70.0 if colour == "black" else 25.0
    for _ in range(int(rng.integers(3, 7))):
        p0 = (int(rng.integers(0, w)), int(rng.integers(h // 4, h)))
        p1 = (int(rng.integers(0, w)), int(rng.integers(h // 4, h)))
        sign = 1.0 if rng.random() < 0.5 else -0.6
        cv2.line(bgr, p0, p1, tuple(float(c + sign * glossy) for c in base), max(w // 30, 1))
    alpha = cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32) / 255.0
    return Sprite(np.clip(bgr, 0, 255).astype(np.uint8), alpha.astype(np.float32))


def render_pile(width_px: int, rng: np.random.Generator) -> Sprite:
    """A dumped pile: several bags with cardboard and debris around them."""
    w = max(width_px, 12)
    h = max(int(w * 0.6), 8)
    canvas = Sprite(np.zeros((h, w, 3), np.uint8), np.zeros((h, w), np.float32))
    colours: tuple[BagColour, ...] = ("black", "white", "blue")
    items = int(rng.integers(3, 7))
    for i in range(items):
        if rng.random() < 0.3:
            bw = int(w * rng.uniform(0.18, 0.35))
            bh = int(bw * rng.uniform(0.4, 0.8))
            board = np.full((bh, bw, 3), _jitter((70, 120, 160), rng, 20), np.float32)
            part = Sprite(board.astype(np.uint8), np.ones((bh, bw), np.float32))
        else:
            part = render_bag(
                colours[int(rng.integers(0, 3))], int(w * rng.uniform(0.25, 0.45)), rng
            )
        pw, ph = part.size_wh
        x = int(rng.integers(0, max(w - pw, 1)))
        y = h - ph - int(rng.integers(0, max(h // 3, 1))) if i > items // 2 else h - ph
        _blend_into(canvas, part, x, max(y, 0))
    return canvas


def _blend_into(dst: Sprite, src: Sprite, x0: int, y0: int) -> None:
    """Composite `src` onto another sprite, keeping `dst`'s alpha as the union."""
    paste(dst.bgr, src, x0, y0)
    dh, dw = dst.alpha.shape
    sh, sw = src.alpha.shape
    x1, y1 = min(x0 + sw, dw), min(y0 + sh, dh)
    if x1 <= x0 or y1 <= y0:
        return
    region = dst.alpha[y0:y1, x0:x1]
    np.maximum(region, src.alpha[: y1 - y0, : x1 - x0], out=region)


def plume_texture(size_wh: tuple[int, int], rng: np.random.Generator) -> ArrayF:
    """Multi-octave smooth noise in 0-1, the billow texture of a plume."""
    w, h = size_wh
    tex = np.zeros((h, w), np.float32)
    for cells, weight in ((3, 0.5), (7, 0.3), (16, 0.2)):
        small = rng.random((cells, max(int(cells * w / max(h, 1)), 2))).astype(np.float32)
        tex += weight * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(tex, 0.0, 1.0).astype(np.float32)


def render_plume(
    size_wh: tuple[int, int],
    progress: float,
    texture: ArrayF,
    rng_tint: float = 0.5,
    drift: float = 0.3,
    opacity: float = 0.8,
) -> Sprite:
    """A rising dust plume: a cone widening upwards, height grown by `progress` (0-1)."""
    w, h = size_wh
    p = float(np.clip(progress, 0.0, 1.0))
    yy = np.linspace(1.0, 0.0, h, dtype=np.float32)[:, None]  # 0 at the bottom, 1 at the top
    xx = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    top = max(p, 1e-3)
    centre = drift * yy**1.5
    spread = 0.4 + 0.7 * yy
    across = np.exp(-(((xx - centre) / spread) ** 2) * 2.5)
    along = np.clip((top - yy) / (0.35 * top + 1e-3), 0.0, 1.0)
    density = 1.4 * across * along * (0.4 + 0.9 * texture)
    alpha = np.clip(density * opacity, 0.0, 0.92).astype(np.float32)
    tint = np.array([150 + 40 * rng_tint, 170 + 25 * rng_tint, 185], np.float32)
    bgr = tint[None, None, :] * (0.8 + 0.35 * texture[..., None])
    return Sprite(np.clip(bgr, 0, 255).astype(np.uint8), alpha)


def draw_cylinder(
    frame: ImageU8,
    foot_xy: tuple[int, int],
    size: CylinderSize,
    colour: CylinderColour,
    px_per_m: float,
    rng: np.random.Generator,
    lying: bool = False,
) -> Box | None:
    """Draw one cylinder standing (or lying) with its base centred on `foot_xy`."""
    sprite = render_cylinder(size, colour, px_per_m, rng)
    if lying:
        sprite = sprite.rotated90()
    sw, sh = sprite.size_wh
    return paste(frame, sprite, foot_xy[0] - sw // 2, foot_xy[1] - sh)


def draw_bag(
    frame: ImageU8,
    foot_xy: tuple[int, int],
    colour: BagColour,
    width_px: int,
    rng: np.random.Generator,
) -> Box | None:
    """Draw one bag resting with its bottom centre on `foot_xy`."""
    sprite = render_bag(colour, width_px, rng)
    sw, sh = sprite.size_wh
    return paste(frame, sprite, foot_xy[0] - sw // 2, foot_xy[1] - sh)


def draw_plume(
    frame: ImageU8,
    base_xy: tuple[int, int],
    size_wh: tuple[int, int],
    progress: float,
    seed: int = 0,
) -> Box | None:
    """Draw a plume rising from `base_xy` (bottom centre) to at most `size_wh`."""
    rng = np.random.default_rng(seed)
    sprite = render_plume(size_wh, progress, plume_texture(size_wh, rng), float(rng.random()))
    return paste(frame, sprite, base_xy[0] - size_wh[0] // 2, base_xy[1] - size_wh[1])

"""Procedural camera backgrounds (street corner, construction site), perspective and lighting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from edge.synth.sprites import ImageU8, _jitter

BackgroundKind = Literal["street", "site"]


@dataclass(frozen=True)
class Ground:
    """Where things can stand and how big a metre looks at a given image row.

    A pole camera looking down a street: rows below `horizon_y` are the ground plane and a
    metre spans `px_per_m_bottom` pixels at the bottom row, shrinking linearly to the horizon.
    """

    resolution_wh: tuple[int, int]
    horizon_y: float
    ground_top_y: float
    px_per_m_bottom: float

    def px_per_m(self, y: float) -> float:
        h = self.resolution_wh[1]
        frac = (y - self.horizon_y) / max(h - self.horizon_y, 1.0)
        return max(self.px_per_m_bottom * frac, 2.0)


def ground_for(resolution_wh: tuple[int, int]) -> Ground:
    _w, h = resolution_wh
    return Ground(resolution_wh, horizon_y=0.3 * h, ground_top_y=0.5 * h, px_per_m_bottom=0.3 * h)


def _noise(h: int, w: int, rng: np.random.Generator, amp: float) -> np.ndarray:
    return rng.normal(0.0, amp, size=(h, w, 1)).astype(np.float32)


def _street(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    img = np.zeros((h, w, 3), np.float32)
    sky_a, sky_b = _jitter((235, 205, 170), rng, 20), _jitter((250, 235, 215), rng, 10)
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    img[:] = sky_a * (1 - t) + sky_b * t
    wall_base = int(0.5 * h)
    x = 0
    while x < w:
        bw = int(rng.integers(w // 8, w // 3))
        top = int(rng.integers(int(0.02 * h), int(0.25 * h)))
        facade = _jitter(tuple(int(c) for c in rng.integers(90, 210, size=3)), rng, 0)  # type: ignore[arg-type]
        img[top:wall_base, x : x + bw] = facade
        win = _jitter((90, 80, 70), rng, 25)
        step_x, step_y = max(bw // 5, 6), max(h // 14, 6)
        for wy in range(top + step_y // 2, wall_base - step_y, step_y):
            for wx in range(x + step_x // 3, x + bw - step_x // 2, step_x):
                cv2.rectangle(img, (wx, wy), (wx + step_x // 2, wy + step_y // 2), win.tolist(), -1)
        if rng.random() < 0.5:  # shop front with an awning
            cv2.rectangle(
                img, (x + 2, wall_base - h // 10), (x + bw - 2, wall_base), (60, 70, 80), -1
            )
            awning = tuple(float(c) for c in rng.integers(30, 220, size=3))
            cv2.rectangle(img, (x, wall_base - h // 9), (x + bw, wall_base - h // 10), awning, -1)
        x += bw
    kerb = int(0.66 * h)
    img[wall_base:kerb] = _jitter((165, 170, 175), rng, 15)
    for ty in range(wall_base, kerb, max(h // 30, 3)):
        img[ty] *= 0.9
    img[kerb : kerb + 3] = (200, 200, 200)
    img[kerb + 3 :] = _jitter((85, 85, 88), rng, 10)
    lane_y = int(0.84 * h)
    for lx in range(int(rng.integers(0, 40)), w, 80):
        img[lane_y : lane_y + 3, lx : lx + 40] = (220, 220, 220)
    img += _noise(h, w, rng, 6.0)
    return img


def _site(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    img = np.zeros((h, w, 3), np.float32)
    sky_a, sky_b = _jitter((225, 200, 175), rng, 20), _jitter((245, 235, 225), rng, 10)
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    img[:] = sky_a * (1 - t) + sky_b * t
    # Crane: mast and jib.
    mx = int(rng.integers(w // 5, 4 * w // 5))
    cv2.line(img, (mx, int(0.05 * h)), (mx, int(0.45 * h)), (40, 150, 200), 3)
    cv2.line(img, (mx - w // 4, int(0.06 * h)), (mx + w // 6, int(0.06 * h)), (40, 150, 200), 2)
    # Building frame in progress behind the hoarding.
    fx, fw = int(rng.integers(0, w // 2)), int(rng.integers(w // 4, w // 2))
    for ly in range(int(0.12 * h), int(0.45 * h), max(h // 18, 4)):
        cv2.line(img, (fx, ly), (fx + fw, ly), (150, 150, 150), 2)
    for lx in range(fx, fx + fw, max(w // 25, 4)):
        cv2.line(img, (lx, int(0.12 * h)), (lx, int(0.45 * h)), (140, 140, 140), 2)
    hoard_top, hoard_base = int(0.3 * h), int(0.5 * h)
    panel = _jitter(
        ((150, 110, 40), (70, 130, 60), (200, 200, 200))[int(rng.integers(0, 3))], rng, 15
    )
    img[hoard_top:hoard_base] = panel
    for px in range(0, w, max(w // 40, 4)):
        img[hoard_top:hoard_base, px : px + 2] *= 0.8
    img[hoard_top : hoard_top + 3] *= 0.6
    img[hoard_base:] = _jitter((95, 125, 150), rng, 15)
    tex = cv2.resize(
        rng.random((12, 24)).astype(np.float32), (w, h - hoard_base), interpolation=cv2.INTER_CUBIC
    )
    img[hoard_base:] *= (0.85 + 0.3 * tex)[..., None]
    for _ in range(int(rng.integers(2, 5))):  # gravel and sand heaps
        cx, cy = int(rng.integers(0, w)), int(rng.integers(hoard_base + h // 10, h))
        ax = int(rng.integers(w // 20, w // 8))
        cv2.ellipse(
            img,
            (cx, cy),
            (ax, ax // 2),
            0,
            180,
            360,
            _jitter((120, 140, 160), rng, 25).tolist(),
            -1,
        )
    for _ in range(int(rng.integers(3, 8))):  # rebar and planks
        y = int(rng.integers(hoard_base + 5, h))
        x0 = int(rng.integers(0, w))
        cv2.line(
            img,
            (x0, y),
            (x0 + int(rng.integers(20, 80)), y + int(rng.integers(-6, 7))),
            (60, 70, 90),
            2,
        )
    img += _noise(h, w, rng, 8.0)
    return img


def render_background(
    kind: BackgroundKind, resolution_wh: tuple[int, int], seed: int
) -> np.ndarray:
    """The empty scene as float32 BGR (0-255), deterministic for a seed."""
    w, h = resolution_wh
    rng = np.random.default_rng(seed)
    img = _street(w, h, rng) if kind == "street" else _site(w, h, rng)
    out: np.ndarray = np.clip(img, 0, 255).astype(np.float32)
    return out


def apply_lighting(
    base: np.ndarray, gain: float, warmth: float, noise_sigma: float, rng: np.random.Generator
) -> ImageU8:
    """Scale brightness, tint warm or cool, add sensor noise and quantise to uint8."""
    tint = np.array([1.0 - 0.08 * warmth, 1.0, 1.0 + 0.08 * warmth], np.float32)
    out = base * (gain * tint)
    if noise_sigma > 0:
        out = out + rng.normal(0.0, noise_sigma, size=(*base.shape[:2], 1)).astype(np.float32)
    result: ImageU8 = np.clip(out, 0, 255).astype(np.uint8)
    return result

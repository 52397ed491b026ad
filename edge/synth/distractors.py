"""Hard negatives and passers-by: people, vehicles, water jugs, buckets, bins, extinguishers,
shadows. None of them is a detection target; the detector must learn to leave them alone."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from edge.synth.sprites import Box, ImageU8, Sprite, _column_shade, _jitter, paste

NegativeKind = Literal["water_jug", "bucket", "bin", "fire_extinguisher"]
NEGATIVE_KINDS: tuple[NegativeKind, ...] = ("water_jug", "bucket", "bin", "fire_extinguisher")
# Real-world height in metres of each negative object.
NEGATIVE_HEIGHT_M: dict[NegativeKind, float] = {
    "water_jug": 0.49,
    "bucket": 0.32,
    "bin": 1.05,
    "fire_extinguisher": 0.55,
}


def render_person(
    height_px: int, phase: float, rng: np.random.Generator
) -> tuple[Sprite, tuple[int, int]]:
    """A walking person seen from the side; returns the sprite and the hand position in it."""
    h = max(height_px, 12)
    w = max(int(h * 0.42), 6)
    bgr = np.zeros((h, w, 3), np.uint8)
    mask = np.zeros((h, w), np.uint8)
    shirt = tuple(int(c) for c in rng.integers(20, 230, size=3))
    trousers = tuple(int(c) for c in rng.integers(20, 110, size=3))
    skin = tuple(int(c) for c in _jitter((120, 160, 205), rng, 25))
    cx = w // 2
    head_r = max(h // 16, 2)
    hip_y, shoulder_y = int(h * 0.52), int(h * 0.2)
    limb = max(h // 14, 2)
    swing = float(np.sin(phase))
    for sgn in (1.0, -1.0):
        foot = (int(cx + sgn * swing * h * 0.17), h - 1)
        cv2.line(bgr, (cx, hip_y), foot, trousers, limb + 1)
        cv2.line(mask, (cx, hip_y), foot, 255, limb + 1)
    cv2.rectangle(bgr, (cx - w // 5, shoulder_y), (cx + w // 5, hip_y), shirt, -1)
    cv2.rectangle(mask, (cx - w // 5, shoulder_y), (cx + w // 5, hip_y), 255, -1)
    hand = (int(cx - swing * h * 0.12), int(h * 0.5))
    cv2.line(bgr, (cx, shoulder_y + limb), hand, shirt, limb)
    cv2.line(mask, (cx, shoulder_y + limb), hand, 255, limb)
    cv2.circle(bgr, (cx, shoulder_y - head_r), head_r, skin, -1)
    cv2.circle(mask, (cx, shoulder_y - head_r), head_r, 255, -1)
    hair = (int(rng.integers(10, 60)),) * 3
    cv2.ellipse(bgr, (cx, shoulder_y - head_r), (head_r, head_r), 0, 180, 360, hair, -1)
    return Sprite(bgr, mask.astype(np.float32) / 255.0), hand


def render_vehicle(length_px: int, rng: np.random.Generator) -> Sprite:
    """A small car or van in side view with windows and wheels."""
    w = max(length_px, 20)
    h = max(int(w * rng.uniform(0.38, 0.5)), 8)
    bgr = np.zeros((h, w, 3), np.uint8)
    mask = np.zeros((h, w), np.uint8)
    paint = tuple(int(c) for c in rng.integers(20, 240, size=3))
    body_top = int(h * 0.45)
    wheel_r = max(int(h * 0.18), 2)
    cv2.rectangle(bgr, (0, body_top), (w - 1, h - wheel_r), paint, -1)
    cv2.rectangle(mask, (0, body_top), (w - 1, h - wheel_r), 255, -1)
    cabin = np.array(
        [
            [int(w * 0.22), body_top],
            [int(w * 0.32), 0],
            [int(w * 0.72), 0],
            [int(w * 0.85), body_top],
        ]
    )
    cv2.fillPoly(bgr, [cabin.astype(np.int32)], paint)
    cv2.fillPoly(mask, [cabin.astype(np.int32)], 255)
    glass = np.array(
        [
            [int(w * 0.27), body_top - 2],
            [int(w * 0.34), 3],
            [int(w * 0.7), 3],
            [int(w * 0.8), body_top - 2],
        ]
    )
    cv2.fillPoly(bgr, [glass.astype(np.int32)], (90, 70, 55))
    for wx in (int(w * 0.2), int(w * 0.8)):
        cv2.circle(bgr, (wx, h - wheel_r - 1), wheel_r, (20, 20, 20), -1)
        cv2.circle(bgr, (wx, h - wheel_r - 1), max(wheel_r // 2, 1), (150, 150, 150), -1)
        cv2.circle(mask, (wx, h - wheel_r - 1), wheel_r, 255, -1)
    return Sprite(bgr, mask.astype(np.float32) / 255.0)


def render_negative(kind: NegativeKind, px_per_m: float, rng: np.random.Generator) -> Sprite:
    """A container that can look like a gas cylinder at a glance."""
    h = max(int(NEGATIVE_HEIGHT_M[kind] * px_per_m), 8)
    mask = np.zeros((h, 1), np.uint8)
    if kind == "water_jug":  # 19 L water-cooler bottle: translucent blue, neck on top
        w = max(int(h * 0.55), 5)
        base = _jitter((215, 170, 110), rng, 20)
        mask = np.zeros((h, w), np.uint8)
        cv2.rectangle(mask, (0, int(h * 0.25)), (w - 1, h - 1), 255, -1)
        cv2.ellipse(mask, (w // 2, int(h * 0.25)), (w // 2, int(h * 0.15)), 0, 180, 360, 255, -1)
        cv2.rectangle(mask, (int(w * 0.38), 0), (int(w * 0.62), int(h * 0.12)), 255, -1)
        opacity = 0.7
    elif kind == "bucket":
        w = max(int(h * 1.0), 5)
        base = _jitter(tuple(int(c) for c in rng.integers(30, 230, size=3)), rng, 0)  # type: ignore[arg-type]
        mask = np.zeros((h, w), np.uint8)
        pts = np.array(
            [
                [0, int(h * 0.1)],
                [w - 1, int(h * 0.1)],
                [int(w * 0.85), h - 1],
                [int(w * 0.15), h - 1],
            ]
        )
        cv2.fillPoly(mask, [pts.astype(np.int32)], 255)
        cv2.ellipse(mask, (w // 2, int(h * 0.1)), (w // 2, int(h * 0.1)), 0, 180, 360, 255, 1)
        opacity = 1.0
    elif kind == "bin":  # wheelie bin
        w = max(int(h * 0.55), 5)
        base = _jitter(
            ((40, 110, 40), (90, 90, 90), (140, 80, 20))[int(rng.integers(0, 3))], rng, 15
        )
        mask = np.zeros((h, w), np.uint8)
        pts = np.array(
            [
                [0, int(h * 0.08)],
                [w - 1, int(h * 0.08)],
                [int(w * 0.92), h - 1],
                [int(w * 0.08), h - 1],
            ]
        )
        cv2.fillPoly(mask, [pts.astype(np.int32)], 255)
        cv2.rectangle(mask, (0, 0), (w - 1, int(h * 0.08)), 255, -1)
        opacity = 1.0
    else:  # fire extinguisher: narrow red body, black head and hose
        w = max(int(h * 0.3), 4)
        base = _jitter((30, 30, 200), rng, 12)
        mask = np.zeros((h, w), np.uint8)
        cv2.rectangle(mask, (0, int(h * 0.2)), (w - 1, h - 1), 255, -1)
        cv2.ellipse(
            mask, (w // 2, int(h * 0.2)), (w // 2, max(int(w * 0.3), 1)), 0, 180, 360, 255, -1
        )
        cv2.rectangle(mask, (int(w * 0.3), 0), (int(w * 0.7), int(h * 0.2)), 255, -1)
        opacity = 1.0
    bgr = base[None, None, :] * _column_shade(w)[None, :, None] * np.ones((h, 1, 1), np.float32)
    if kind == "fire_extinguisher":
        bgr[: int(h * 0.17)] = 25.0
        bgr[int(h * 0.3) : int(h * 0.4), : max(w // 5, 1)] = 20.0
    if kind == "bin":
        bgr[: int(h * 0.1)] *= 0.7
    if kind == "water_jug":
        for ry in (0.45, 0.65, 0.85):
            bgr[int(h * ry)] *= 0.8
    alpha = mask.astype(np.float32) / 255.0 * opacity
    return Sprite(np.clip(bgr, 0, 255).astype(np.uint8), alpha.astype(np.float32))


def render_shadow(
    size_wh: tuple[int, int], rng: np.random.Generator, darkness: float = 0.4
) -> Sprite:
    """A soft cast shadow (a tree, a passing cloud edge): darkens what is under it."""
    w, h = size_wh
    mask = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(3, 7))):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.ellipse(
            mask,
            c,
            (int(rng.integers(w // 6, w // 2 + 1)), int(rng.integers(h // 6, h // 2 + 1))),
            0,
            0,
            360,
            255,
            -1,
        )
    soft = cv2.GaussianBlur(mask, (0, 0), max(min(w, h) / 12.0, 1.0))
    return Sprite(
        np.zeros((h, w, 3), np.uint8),
        (soft.astype(np.float32) / 255.0 * darkness).astype(np.float32),
    )


def draw_person(
    frame: ImageU8, foot_xy: tuple[int, int], height_px: int, phase: float, rng: np.random.Generator
) -> Box | None:
    """Draw a walker standing on `foot_xy`."""
    sprite, _ = render_person(height_px, phase, rng)
    sw, sh = sprite.size_wh
    return paste(frame, sprite, foot_xy[0] - sw // 2, foot_xy[1] - sh)


def draw_negative(
    frame: ImageU8,
    foot_xy: tuple[int, int],
    kind: NegativeKind,
    px_per_m: float,
    rng: np.random.Generator,
) -> Box | None:
    """Draw a hard-negative container standing on `foot_xy`."""
    sprite = render_negative(kind, px_per_m, rng)
    sw, sh = sprite.size_wh
    return paste(frame, sprite, foot_xy[0] - sw // 2, foot_xy[1] - sh)

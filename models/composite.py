"""Synthetic training images composited onto real photos.

Backgrounds are crops of the shared photos that hold no labelled box, so a pasted cylinder
or plume never hides (or sits beside) an unlabelled real object of another class. Sprites
come from `edge.synth`, the same renderer the synthetic cameras use.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.synth.distractors import NEGATIVE_KINDS, render_negative, render_person, render_shadow
from edge.synth.episodes import COLOURS, SIZES
from edge.synth.sprites import (
    Sprite,
    paste,
    plume_texture,
    render_bag,
    render_cylinder,
    render_plume,
)

Label = tuple[int, float, float, float, float]  # class, x0, y0, x1, y1 in pixels
ImageU8 = np.ndarray


def read_boxes(label_path: Path, w: int, h: int) -> list[tuple[float, float, float, float]]:
    """YOLO label rows to pixel xyxy boxes (empty when the file is missing)."""
    if not label_path.exists():
        return []
    out = []
    for line in label_path.read_text().splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        cx, cy, bw, bh = (float(v) for v in parts[1:5])
        out.append(((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h))
    return out


def free_crop(
    img: ImageU8, boxes: list[tuple[float, float, float, float]], rng: np.random.Generator
) -> ImageU8 | None:
    """A crop of at least 40% of each side that touches no labelled box, or None."""
    h, w = img.shape[:2]
    for _ in range(40):
        cw = int(w * rng.uniform(0.4, 1.0))
        ch = int(min(h, cw * rng.uniform(0.5, 1.0)))
        if ch < 0.4 * h or cw < 80 or ch < 60:
            continue
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        if all(
            bx1 < x0 or bx0 > x0 + cw or by1 < y0 or by0 > y0 + ch for bx0, by0, bx1, by1 in boxes
        ):
            crop: ImageU8 = img[y0 : y0 + ch, x0 : x0 + cw]
            return crop
    return None


def collect_backgrounds(
    split_dir: Path, labels_dir: Path, limit: int, rng: np.random.Generator
) -> list[ImageU8]:
    """Up to `limit` label-free crops from the photos of one split, resized to 480 wide."""
    files = sorted(split_dir.glob("*.jpg")) + sorted(split_dir.glob("*.png"))
    order = rng.permutation(len(files))
    out: list[ImageU8] = []
    for i in order:
        if len(out) >= limit:
            break
        img = cv2.imread(str(files[i]))
        if img is None:
            continue
        h, w = img.shape[:2]
        crop = free_crop(img, read_boxes(labels_dir / (files[i].stem + ".txt"), w, h), rng)
        if crop is None:
            continue
        scale = 480.0 / crop.shape[1]
        out.append(
            cv2.resize(
                crop, (480, max(int(crop.shape[0] * scale), 200)), interpolation=cv2.INTER_AREA
            )
        )
    return out


def _place(
    frame: ImageU8, sprite: Sprite, foot_x: int, foot_y: int
) -> tuple[float, float, float, float] | None:
    sw, sh = sprite.size_wh
    box = paste(frame, sprite, foot_x - sw // 2, foot_y - sh)
    return None if box is None else (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def _cast_shadow(
    frame: ImageU8, foot_x: int, foot_y: int, width: int, rng: np.random.Generator
) -> None:
    shadow = render_shadow((max(width, 8), max(width // 3, 4)), rng, darkness=0.45)
    paste(frame, shadow, foot_x - width // 2, foot_y - width // 6)


def cylinder_scene(
    bg: ImageU8, rng: np.random.Generator, negatives_only: bool = False
) -> tuple[ImageU8, list[Label]]:
    """Cylinders (single, row, stacked, lying, mixed) plus hard negatives on a background."""
    img = bg.copy()
    h, w = img.shape[:2]
    labels: list[Label] = []
    foot_y = int(rng.uniform(0.4, 0.97) * h)
    ppm = float(rng.uniform(0.08, 0.7)) * h / 0.6
    if not negatives_only:
        layout = rng.choice(
            ["single", "row", "stacked", "lying", "mixed"], p=[0.2, 0.3, 0.2, 0.15, 0.15]
        )
        count = 1 if layout == "single" else int(rng.integers(2, 8))
        colour = COLOURS[int(rng.integers(0, 4))] if rng.random() < 0.6 else None
        size = SIZES[int(rng.integers(0, 3))]
        sprites = []
        for _ in range(count):
            s = size if layout != "mixed" else SIZES[int(rng.integers(0, 3))]
            c = colour or COLOURS[int(rng.integers(0, 4))]
            sp = render_cylinder(s, c, ppm, rng)
            sprites.append(sp.rotated90() if layout == "lying" else sp)
        sw, _sh = sprites[0].size_wh
        per_row = count if layout != "stacked" else max((count + 1) // 2, 1)
        x_start = int(rng.uniform(0.05, 0.95) * w) - (per_row * sw) // 2
        _cast_shadow(img, x_start + per_row * sw // 2, foot_y, per_row * sw + sw, rng)
        for i, sp in enumerate(sprites):
            row, col = divmod(i, per_row)
            step = int(sw * rng.uniform(0.95, 1.15))
            fx = (
                x_start
                + col * step
                + sp.size_wh[0] // 2
                + (row * sw // 2 if layout == "stacked" else 0)
            )
            fy = foot_y - row * (sp.size_wh[1] - 1)
            box = _place(img, sp, fx, fy)
            if box is not None and (box[2] - box[0]) >= 3 and (box[3] - box[1]) >= 3:
                labels.append((0, *box))
        if rng.random() < 0.3:  # something in front: partial occlusion
            occ = _negative_sprite(rng, ppm * rng.uniform(0.7, 1.0))
            _place(
                img,
                occ,
                x_start + int(rng.uniform(0, per_row * sw)),
                min(foot_y + int(0.05 * ppm), h - 1),
            )
    for _ in range(int(rng.integers(0 if not negatives_only else 1, 4))):
        y = int(rng.uniform(0.4, 1.0) * h)
        sprite = _negative_sprite(rng, ppm * rng.uniform(0.6, 1.4))
        _place(img, sprite, int(rng.uniform(0.0, 1.0) * w), y)
    return img, labels


def _negative_sprite(rng: np.random.Generator, ppm: float) -> Sprite:
    pick = int(rng.integers(0, len(NEGATIVE_KINDS) + 2))
    if pick < len(NEGATIVE_KINDS):
        return render_negative(NEGATIVE_KINDS[pick], ppm, rng)
    if pick == len(NEGATIVE_KINDS):
        sprite, _ = render_person(int(1.7 * ppm), float(rng.uniform(0, 6.3)), rng)
        return sprite
    return render_bag(
        ("black", "white", "blue")[int(rng.integers(0, 3))], max(int(0.4 * ppm), 6), rng
    )


def dust_scene(bg: ImageU8, rng: np.random.Generator) -> tuple[ImageU8, list[Label]]:
    """One or two plumes rising from the ground of a background."""
    img = bg.copy()
    h, w = img.shape[:2]
    labels: list[Label] = []
    for _ in range(1 if rng.random() < 0.75 else 2):
        pw = int(w * rng.uniform(0.2, 0.6))
        ph = int(h * rng.uniform(0.3, 0.9))
        x0 = int(rng.uniform(-0.1, 0.9) * w)
        base_y = int(rng.uniform(0.5, 1.0) * h)
        tex = plume_texture((pw, ph), rng)
        sprite = render_plume(
            (pw, ph),
            float(rng.uniform(0.45, 1.0)),
            tex,
            float(rng.random()),
            float(rng.uniform(-0.5, 0.5)),
            float(rng.uniform(0.55, 1.0)),
        )
        box = paste(img, sprite, x0, base_y - ph)
        if box is not None and (box[2] - box[0]) >= 6 and (box[3] - box[1]) >= 6:
            labels.append((2, float(box[0]), float(box[1]), float(box[2]), float(box[3])))
    return img, labels


def photometric(img: ImageU8, rng: np.random.Generator) -> ImageU8:
    """Lighting, colour cast, blur, sensor noise and JPEG artefacts."""
    f: np.ndarray = (
        img.astype(np.float32)
        * float(rng.uniform(0.55, 1.3))
        * rng.uniform(0.9, 1.1, size=3).astype(np.float32)
    )
    if rng.random() < 0.5:
        f = np.asarray(cv2.GaussianBlur(f, (0, 0), float(rng.uniform(0.4, 1.5))))
    f += rng.normal(0.0, float(rng.uniform(0.0, 6.0)), size=f.shape).astype(np.float32)
    out = np.clip(f, 0, 255).astype(np.uint8)
    ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 92))])
    decoded = cv2.imdecode(enc, cv2.IMREAD_COLOR) if ok else None
    return out if decoded is None else np.asarray(decoded)


def perspective(
    img: ImageU8, labels: list[Label], rng: np.random.Generator
) -> tuple[ImageU8, list[Label]]:
    """A mild random camera tilt; boxes follow their corners."""
    h, w = img.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = src + rng.uniform(-0.06, 0.06, size=(4, 2)).astype(np.float32) * np.array(
        [w, h], np.float32
    )
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    out: list[Label] = []
    for cls, x0, y0, x1, y1 in labels:
        pts = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32)
        q = cv2.perspectiveTransform(pts, m)[0]
        nx0, ny0 = max(float(q[:, 0].min()), 0.0), max(float(q[:, 1].min()), 0.0)
        nx1, ny1 = min(float(q[:, 0].max()), float(w)), min(float(q[:, 1].max()), float(h))
        if nx1 - nx0 >= 3 and ny1 - ny0 >= 3:
            out.append((cls, nx0, ny0, nx1, ny1))
    return warped, out


def write_sample(
    images_dir: Path, labels_dir: Path, name: str, img: ImageU8, labels: list[Label]
) -> None:
    """Write one image and its YOLO label file (an empty file for a background image)."""
    h, w = img.shape[:2]
    cv2.imwrite(str(images_dir / f"{name}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    rows = [
        f"{c} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} {(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}"
        for c, x0, y0, x1, y1 in labels
    ]
    (labels_dir / f"{name}.txt").write_text("\n".join(rows) + ("\n" if rows else ""))

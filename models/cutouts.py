"""Real gas-cylinder crops (`shared/data/cylinder_crops`) turned into pasteable cut-outs.

Each crop is one cylinder with some background around it. GrabCut, seeded with a rectangle
just inside the crop, cuts the cylinder out; a crop whose cut is implausible (almost nothing
or almost everything kept) falls back to a soft rounded-rectangle mask. Near-duplicate crops
(the source holds flipped, rotated and grey copies of the same cylinder) share a group, so a
held-out split never sees a cylinder it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ImageU8 = np.ndarray  # BGR uint8 (loosely typed, as in models.composite)
CUT_SIZE = 128  # the cut-out's longer side; pasted cylinders are scaled down from it


@dataclass(frozen=True)
class Cutout:
    """A cylinder image (BGR) and its alpha (0-1), cropped to the cylinder."""

    name: str
    bgr: ImageU8
    alpha: np.ndarray


def canonical_hash(img: ImageU8) -> int:
    """A 64-bit difference hash, the smallest over the eight flips and quarter turns, so a
    flipped or rotated copy of a crop hashes the same."""
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    small = cv2.resize(grey, (9, 9), interpolation=cv2.INTER_AREA).astype(np.int16)
    best: int | None = None
    for k in range(4):
        for flip in (False, True):
            v = np.rot90(small, k)
            v = v[:, ::-1] if flip else v
            bits = (v[:8, 1:] > v[:8, :-1]).flatten()
            h = int("".join("1" if b else "0" for b in bits), 2)
            best = h if best is None else min(best, h)
    assert best is not None
    return best


def group_near_duplicates(hashes: list[int], max_bits: int = 6) -> list[int]:
    """A group id per hash: hashes within `max_bits` differing bits share a group (linked
    transitively, union-find)."""
    parent = list(range(len(hashes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            if bin(hashes[i] ^ hashes[j]).count("1") <= max_bits:
                parent[root(j)] = root(i)
    return [root(i) for i in range(len(hashes))]


def held_out(groups: list[int], share: float, seed: int) -> set[int]:
    """The group ids kept out of training: about `share` of the crops, whole groups only."""
    ids = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(ids))
    sizes = {g: groups.count(g) for g in ids}
    out: set[int] = set()
    taken = 0
    for k in order:
        if taken >= share * len(groups):
            break
        out.add(ids[int(k)])
        taken += sizes[ids[int(k)]]
    return out


def _soft_mask(h: int, w: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    r = max(min(h, w) // 5, 1)
    x0, y0, x1, y1 = int(0.08 * w), int(0.03 * h), int(0.92 * w), int(0.97 * h)
    cv2.rectangle(mask, (x0 + r, y0), (x1 - r, y1), 255, -1)
    cv2.rectangle(mask, (x0, y0 + r), (x1, y1 - r), 255, -1)
    for cx, cy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1)
    return mask.astype(np.float32) / 255.0


def cut_out(img: ImageU8, name: str = "") -> Cutout:
    """The cylinder of one crop, on a feathered alpha, trimmed to its mask."""
    h, w = img.shape[:2]
    scale = CUT_SIZE / max(h, w)
    img = cv2.resize(
        img, (max(int(w * scale), 8), max(int(h * scale), 8)), interpolation=cv2.INTER_AREA
    )
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    rect = (
        max(int(0.05 * w), 1),
        max(int(0.02 * h), 1),
        max(int(0.9 * w), 4),
        max(int(0.96 * h), 4),
    )
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    alpha: np.ndarray
    try:
        cv2.grabCut(img, mask, rect, bgd, fgd, 3, cv2.GC_INIT_WITH_RECT)
        fg = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
        # the largest connected part only: GrabCut keeps stray background specks
        n, lab, stats, _ = cv2.connectedComponentsWithStats(fg)
        if n > 1:
            fg = (lab == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
        share = float(fg.mean())
        alpha = fg.astype(np.float32) if 0.25 <= share <= 0.92 else _soft_mask(h, w)
    except cv2.error:
        alpha = _soft_mask(h, w)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 1.0)
    ys, xs = np.nonzero(alpha > 0.5)
    if len(ys) == 0:
        alpha = _soft_mask(h, w)
        ys, xs = np.nonzero(alpha > 0.5)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    return Cutout(name, img[y0:y1, x0:x1].copy(), np.ascontiguousarray(alpha[y0:y1, x0:x1]))


def load_cutouts(folder: Path) -> list[Cutout]:
    out = []
    for path in sorted(folder.glob("*.jpg")):
        img = cv2.imread(str(path))
        if img is not None:
            out.append(cut_out(np.asarray(img, np.uint8), path.stem))
    return out

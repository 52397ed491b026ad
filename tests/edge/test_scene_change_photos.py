"""Must show, on real street photos: a real garbage pile as the "after" frame never verifies,
whatever the detector says (here a blind one that reports nothing), even after a mild change
of brightness, gamma, noise, JPEG quality or a 2-pixel shift; the pile replaced by the
ground beside it, or another scene, is measured as changed and verifies.

The photos are four real street photos copied into ``tests/fixtures/street`` (CC BY 4.0,
see the ATTRIBUTION.md there), so these tests need nothing outside the repository. A wider
sweep over the shared street validation set (every photo with a labelled pile) runs from
the shared data folder (``models/paths.py``) or ``GRIDWALL_STREET_DATA``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from edge.scene_change import scene_change
from edge.settings import PipelineSettings
from edge.zone_verify import AlarmFrame, Judgement, ZoneCheck, judge
from models.paths import SHARED_STREET

Image = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float]
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "street"
STREET = SHARED_STREET  # GRIDWALL_STREET_DATA, else the shared data folder (models/paths.py)
SHIPPED = PipelineSettings()
CHANGE_MIN = SHIPPED.verify_change_min
RATIO = SHIPPED.verify_confidence_ratio
ALERT_AT = 0.35  # the zone's alert threshold for the class (ZoneRules.min_confidence)
FLOOR = 0.1  # the detector's own confidence floor in these tests

# photo → the zone a technician would draw over its ground (polygon, 0–1)
ZONES: dict[str, list[tuple[float, float]]] = {
    "atanu_001582": [(0.02, 0.35), (0.98, 0.35), (0.98, 0.99), (0.02, 0.99)],
    "atanu_001783": [(0.02, 0.2), (0.98, 0.2), (0.98, 0.99), (0.02, 0.99)],
    "atanu_002032": [(0.0, 0.45), (1.0, 0.45), (1.0, 0.99), (0.0, 0.99)],
    "atanu_002692": [(0.02, 0.45), (0.98, 0.45), (0.98, 0.99), (0.02, 0.99)],
}
# photo → where clean ground lies beside the pile (a box of the same size, shifted by dx, dy),
# or a patch of ground to tile over the pile where no same-size patch fits
GROUND: dict[str, tuple[str, Box]] = {
    "atanu_002692": ("shift", (0.0, 0.23, 0.0, 0.23)),
    "atanu_002032": ("shift", (0.5, 0.0, 0.5, 0.0)),
    "atanu_001582": ("tile", (0.02, 0.55, 0.36, 0.92)),
}


def piles_of(label: Path) -> list[Box]:
    """The garbage-pile boxes (class 0) of a YOLO label file, as clipped ``xyxy`` 0–1."""
    piles = []
    for line in label.read_text(encoding="utf-8").splitlines() if label.exists() else []:
        parts = line.split()
        if parts and parts[0] == "0":
            x, y, w, h = (float(v) for v in parts[1:5])
            x0, y0 = max(x - w / 2, 0.0), max(y - h / 2, 0.0)
            piles.append((x0, y0, min(x + w / 2, 1.0), min(y + h / 2, 1.0)))
    return piles


def load(path: Path) -> tuple[Image, list[Box]]:
    image = cv2.imread(str(path))
    assert image is not None, f"cannot read {path}"
    return np.asarray(image, np.uint8), piles_of(path.with_suffix(".txt"))


def _jpeg(image: Image, quality: int) -> Image:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)


def _shift(image: Image, dx: float, dy: float) -> Image:
    m = np.asarray([[1, 0, dx], [0, 1, dy]], np.float32)
    h, w = image.shape[:2]
    return np.asarray(cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT), np.uint8)


def _levels(image: Image, gain: float, offset: float, gamma: float = 1.0) -> Image:
    f = np.clip((image.astype(np.float32) * gain + offset) / 255.0, 0.0, 1.0) ** gamma
    return np.asarray(np.round(f * 255.0), np.uint8)


def _noise(image: Image, sigma: float, seed: int = 7) -> Image:
    rng = np.random.default_rng(seed)
    return np.asarray(np.clip(image + rng.normal(0, sigma, image.shape), 0, 255), np.uint8)


def _everything(image: Image) -> Image:
    return _jpeg(_shift(_noise(_levels(image, 0.8, 20.0, 1.2), 5.0), -1, 1), 40)


MILD: dict[str, Callable[[Image], Image]] = {
    "identical": lambda im: im,
    "brighter": lambda im: _levels(im, 1.0, 35.0),
    "darker": lambda im: _levels(im, 0.6, 0.0),
    "gamma": lambda im: _levels(im, 1.0, 0.0, 1.5),
    "noise": lambda im: _noise(im, 8.0),
    "jpeg": lambda im: _jpeg(im, 35),
    "shift": lambda im: _shift(im, 2, 2),
    "everything": _everything,
}


def ground_over_pile(image: Image, pile: Box, how: str, where: Box) -> Image:
    """The photo with the pile's box replaced by ground from beside it."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (round(v * s) for v, s in zip(pile, (w, h, w, h), strict=True))
    out = image.copy()
    if how == "shift":
        dx, dy = round(where[0] * w), round(where[1] * h)
        out[y0:y1, x0:x1] = image[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
        return out
    sx0, sy0, sx1, sy1 = (round(v * s) for v, s in zip(where, (w, h, w, h), strict=True))
    patch = image[sy0:sy1, sx0:sx1]
    tile = np.concatenate([patch, patch[:, ::-1]], axis=1)
    tile = np.concatenate([tile, tile[::-1]], axis=0)
    reps = (-(-(y1 - y0) // tile.shape[0]), -(-(x1 - x0) // tile.shape[1]), 1)
    out[y0:y1, x0:x1] = np.tile(tile, reps)[: y1 - y0, : x1 - x0]
    return out


def blind_check(after: Image, zone: list[tuple[float, float]]) -> ZoneCheck:
    """What a detector blind to the pile reports: nothing of the class in the zone."""
    return ZoneCheck(
        image=after,
        small=after,
        zone_norm=tuple(zone),
        scores={"waste": 0.0},
        alert_at={"waste": ALERT_AT},
    )


def alarm(before: Image, piles: list[Box]) -> AlarmFrame:
    return AlarmFrame("cam-01", "ground", "06010", "ev-00000001.s1", 0, before, tuple(piles))


def verdict_of(
    before: Image, piles: list[Box], after: Image, zone: list[tuple[float, float]]
) -> Judgement:
    return judge(
        blind_check(after, zone),
        alarm(before, piles),
        ratio=RATIO,
        floor=FLOOR,
        change_min=CHANGE_MIN,
    )


@pytest.mark.parametrize("kind", sorted(MILD))
@pytest.mark.parametrize("name", sorted(ZONES))
def test_a_real_pile_still_there_never_verifies(name: str, kind: str) -> None:
    before, piles = load(FIXTURES / f"{name}.jpg")
    after = MILD[kind](before)
    j = verdict_of(before, piles, after, ZONES[name])
    assert j.change is not None and j.change < CHANGE_MIN, (name, kind, j.change)
    assert j.verdict.result == "uncertain", j.verdict
    assert "still looks like the alarm frame" in j.verdict.reason


@pytest.mark.parametrize("kind", ["identical", "everything"])
@pytest.mark.parametrize("name", sorted(GROUND))
def test_the_pile_replaced_by_ground_is_changed_and_verifies(name: str, kind: str) -> None:
    before, piles = load(FIXTURES / f"{name}.jpg")
    how, where = GROUND[name]
    after = MILD[kind](ground_over_pile(before, piles[0], how, where))
    j = verdict_of(before, piles, after, ZONES[name])
    assert j.change is not None and j.change >= CHANGE_MIN, (name, kind, j.change)
    assert j.verdict.result == "clear", j.verdict
    assert j.alarm is not None and j.alarm.snapshot_id == "ev-00000001.s1"


@pytest.mark.parametrize("name", sorted(ZONES))
def test_another_scene_is_changed(name: str) -> None:
    before, piles = load(FIXTURES / f"{name}.jpg")
    others = [n for n in sorted(ZONES) if n != name]
    for other in others:
        after, _ = load(FIXTURES / f"{other}.jpg")
        change = scene_change(before, after, ZONES[name], piles)
        assert change >= CHANGE_MIN, (name, other, change)


def test_the_detector_still_wins_when_it_sees_the_pile() -> None:
    """A changed scene does not verify if the detector finds the class at the alert
    threshold, nor if it finds it weakly (between the verify and the alert threshold)."""
    before, piles = load(FIXTURES / "atanu_002692.jpg")
    how, where = GROUND["atanu_002692"]
    after = ground_over_pile(before, piles[0], how, where)
    zone = tuple(ZONES["atanu_002692"])
    for score, result in ((0.9, "present"), (0.2, "uncertain"), (0.05, "clear")):
        check = ZoneCheck(after, after, zone, {"waste": score}, {"waste": ALERT_AT})
        j = judge(check, alarm(before, piles), ratio=RATIO, floor=FLOOR, change_min=CHANGE_MIN)
        assert j.verdict.result == result, (score, j.verdict)


@pytest.mark.slow
def test_over_the_shared_street_set() -> None:
    """Every validation photo with a labelled pile, its zone the pile's box grown by a
    quarter: no mild change of the same photo reaches the change threshold; other photos
    always do; the pile smeared away (inpainted) mostly does (the rest goes to a person)."""
    images = STREET / "images" / "val"
    if not images.is_dir():
        pytest.fail(f"no street photos at {images}: set GRIDWALL_STREET_DATA to the street set")
    photos = []
    for path in sorted(images.glob("*.jpg")):
        image = cv2.imread(str(path))
        piles = piles_of(STREET / "labels" / "val" / f"{path.stem}.txt")
        if image is not None and piles:
            photos.append((path.stem, np.asarray(image, np.uint8), max(piles, key=_area)))
    assert len(photos) >= 50, len(photos)
    worst_same, changed_other, changed_gone = 0.0, [], []
    for i, (name, image, pile) in enumerate(photos):
        zone = _grown(pile, 0.25)
        for kind, fn in MILD.items():
            change = scene_change(image, fn(image), zone, (pile,))
            assert change < CHANGE_MIN, (name, kind, change)
            worst_same = max(worst_same, change)
        other = photos[(i + 7) % len(photos)][1]
        changed_other.append(scene_change(image, other, zone, (pile,)))
        changed_gone.append(scene_change(image, _inpainted(image, pile), zone, (pile,)))
    other_a, gone_a = np.asarray(changed_other), np.asarray(changed_gone)
    print(
        f"\n{len(photos)} photos: same scene (mild changes) worst {worst_same:.3f}; "
        f"another photo min {other_a.min():.3f} median {np.median(other_a):.3f}; pile "
        f"inpainted min {gone_a.min():.3f} median {np.median(gone_a):.3f}, "
        f"{(gone_a >= CHANGE_MIN).mean():.0%} at or above {CHANGE_MIN}"
    )
    assert other_a.min() >= CHANGE_MIN
    assert (gone_a >= CHANGE_MIN).mean() >= 0.8


def _area(b: Box) -> float:
    return (b[2] - b[0]) * (b[3] - b[1])


def _grown(b: Box, k: float) -> list[tuple[float, float]]:
    gx, gy = (b[2] - b[0]) * k, (b[3] - b[1]) * k
    x0, y0 = max(b[0] - gx, 0.0), max(b[1] - gy, 0.0)
    x1, y1 = min(b[2] + gx, 1.0), min(b[3] + gy, 1.0)
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _inpainted(image: Image, pile: Box) -> Image:
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    mask[round(pile[1] * h) : round(pile[3] * h), round(pile[0] * w) : round(pile[2] * w)] = 255
    return np.asarray(cv2.inpaint(image, mask, 5, cv2.INPAINT_TELEA), np.uint8)

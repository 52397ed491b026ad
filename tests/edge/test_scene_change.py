"""``edge.scene_change`` on the frames it must refuse or handle: covered, blank, tiny zones,
other resolutions, boxes outside the zone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from edge.scene_change import SceneCompareError, scene_change

Image = npt.NDArray[np.uint8]
PHOTO = Path(__file__).resolve().parents[1] / "fixtures" / "street" / "atanu_002692.jpg"
GROUND = [(0.02, 0.45), (0.98, 0.45), (0.98, 0.99), (0.02, 0.99)]
PILE = (0.443, 0.512, 0.609, 0.721)


@pytest.fixture(scope="module")
def photo() -> Image:
    image = cv2.imread(str(PHOTO))
    assert image is not None
    return np.asarray(image, np.uint8)


def _half(im: Image) -> Image:
    return np.asarray(cv2.resize(im, (im.shape[1] // 2, im.shape[0] // 2)), np.uint8)


# (what the after frame is, the zone, the error the measure gives)
REFUSED: list[tuple[Callable[[Image], Image], list[tuple[float, float]], str]] = [
    (np.zeros_like, GROUND, "the current frame shows almost nothing in the zone"),
    (lambda im: np.full_like(im, 255), GROUND, "dark, covered or washed out"),
    (lambda im: im, [(0.5, 0.5), (0.51, 0.5), (0.51, 0.51)], "at least 8x8 is needed"),
    (lambda im: im, [(0.1, 0.1), (0.9, 0.9)], "a zone needs at least 3 points, got 2"),
]


@pytest.mark.parametrize(("after", "zone", "error"), REFUSED)
def test_frames_that_cannot_tell_are_refused(
    photo: Image, after: Callable[[Image], Image], zone: list[tuple[float, float]], error: str
) -> None:
    with pytest.raises(SceneCompareError, match=error):
        scene_change(photo, after(photo), zone, (PILE,))


def test_a_blank_alarm_frame_is_refused(photo: Image) -> None:
    with pytest.raises(SceneCompareError, match="the alarm frame shows almost nothing"):
        scene_change(np.zeros_like(photo), photo, GROUND)


# (after frame, focus boxes, lowest, highest)
MEASURED: list[tuple[Callable[[Image], Image], tuple[tuple[float, ...], ...], float, float]] = [
    (lambda im: im, (PILE,), 0.0, 0.0),
    (_half, (PILE,), 0.0, 0.1),  # the same camera read at half the resolution
    (lambda im: im[:, ::-1].copy(), (PILE,), 0.2, 1.0),  # mirrored: another scene
    (lambda im: im, ((0.0, 0.0, 0.3, 0.2),), 0.0, 0.0),  # a box outside the zone: whole zone
]


@pytest.mark.parametrize(("after", "focus", "low", "high"), MEASURED)
def test_measured(
    photo: Image,
    after: Callable[[Image], Image],
    focus: tuple[tuple[float, float, float, float], ...],
    low: float,
    high: float,
) -> None:
    change = scene_change(photo, after(photo), GROUND, focus)
    assert low <= change <= high, change


def test_the_alarm_boxes_weigh_a_small_change_in_full(photo: Image) -> None:
    """The pile is a small part of the ground zone: over the whole zone its removal is
    diluted; over the alarm's boxes it counts in full."""
    h, w = photo.shape[:2]
    after = photo.copy()
    x0, y0, x1, y1 = round(PILE[0] * w), round(PILE[1] * h), round(PILE[2] * w), round(PILE[3] * h)
    dy = round(0.23 * h)
    after[y0:y1, x0:x1] = photo[y0 + dy : y1 + dy, x0:x1]
    whole, focused = scene_change(photo, after, GROUND), scene_change(photo, after, GROUND, (PILE,))
    assert whole < 0.2 <= focused, (whole, focused)

"""Sprite renderers draw what they report."""

from __future__ import annotations

import numpy as np
import pytest

from edge.synth.distractors import NEGATIVE_KINDS, draw_negative, draw_person
from edge.synth.sprites import CYLINDER_DIMS_M, draw_bag, draw_cylinder, draw_plume


def blank() -> np.ndarray:
    return np.full((240, 320, 3), 128, np.uint8)


@pytest.mark.parametrize("size", ["15kg", "5kg", "2kg"])
@pytest.mark.parametrize("colour", ["blue", "grey", "red", "white"])
def test_cylinder_box_matches_real_size(size: str, colour: str) -> None:
    frame = blank()
    box = draw_cylinder(frame, (160, 200), size, colour, 200.0, np.random.default_rng(0))  # type: ignore[arg-type]
    assert box is not None
    dia, height = CYLINDER_DIMS_M[size]  # type: ignore[index]
    x0, y0, x1, y1 = box
    assert y1 - y0 == pytest.approx(height * 200, abs=3)
    assert x1 - x0 == pytest.approx(dia * 200, abs=3)
    assert y1 == 200
    assert (frame != 128).any()


def test_lying_cylinder_is_wider_than_tall() -> None:
    box = draw_cylinder(
        blank(), (160, 200), "15kg", "blue", 200.0, np.random.default_rng(0), lying=True
    )
    assert box is not None
    assert box[2] - box[0] > box[3] - box[1]


def test_clipped_and_offscreen() -> None:
    frame = blank()
    box = draw_bag(frame, (5, 100), "black", 40, np.random.default_rng(1))
    assert box is not None and box[0] == 0
    assert draw_bag(frame, (-200, 100), "black", 40, np.random.default_rng(1)) is None


def test_plume_grows() -> None:
    small = draw_plume(blank(), (160, 230), (120, 200), 0.3, seed=2)
    big = draw_plume(blank(), (160, 230), (120, 200), 1.0, seed=2)
    assert small is not None and big is not None
    assert big[3] - big[1] > small[3] - small[1]


@pytest.mark.parametrize("kind", NEGATIVE_KINDS)
def test_negatives_draw(kind: str) -> None:
    frame = blank()
    assert draw_negative(frame, (160, 200), kind, 150.0, np.random.default_rng(0)) is not None  # type: ignore[arg-type]
    assert draw_person(frame, (60, 230), 150, 0.5, np.random.default_rng(0)) is not None

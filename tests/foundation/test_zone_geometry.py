"""Zone polygons as drawn by hand: which are refused, and the words that say why. Table tests."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.cameras import Zone
from contracts.zone_geometry import area, crossings, segments_meet, zone_problems

SQUARE = [(0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.1, 0.5)]


@pytest.mark.parametrize(
    ("points", "expect"),
    [
        (SQUARE, []),
        ([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)], []),  # the frame's own corners are inside it
        ([(0.1, 0.1), (0.5, 0.1), (0.3, 0.3), (0.5, 0.5), (0.1, 0.5)], []),  # concave is fine
        ([(0.1, 0.1), (0.5, 0.5), (0.5, 0.1), (0.1, 0.5)], ["edge 1–2 crosses edge 3–4"]),
        (
            [(0.1, 0.1), (0.5, 0.1), (0.3, 0.1)],  # back along its own first edge
            ["edge 1–2 folds back along edge 2–3", "edge 1–2 folds back along edge 3–1"],
        ),
        # a vertex touching a non-neighbouring edge
        ([(0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.3, 0.1), (0.1, 0.5)], ["crosses"]),
        ([(0.1, 0.1), (1.2, 0.1), (0.5, 0.5)], ["point 2 (1.200, 0.100) is outside the frame"]),
        ([(0.1, -0.01), (0.5, 0.1), (0.5, 0.5)], ["point 1 (0.100, -0.010) is outside the frame"]),
        ([(0.1, 0.1), (0.5, 0.1)], ["a zone needs at least 3 points, got 2"]),
        ([(0.1, 0.1), (0.1, 0.1), (0.5, 0.5)], ["points 1 and 2 are the same point"]),
        ([(0.1, 0.1), (0.5, 0.5), (0.1, 0.1)], ["points 3 and 1 are the same point"]),
    ],
)
def test_zone_problems(points: list[tuple[float, float]], expect: list[str]) -> None:
    got = zone_problems(points)
    if not expect:
        assert got == []
    else:
        assert len(got) >= len(expect), got
        for want, line in zip(expect, got, strict=False):
            assert want in line, got


@pytest.mark.parametrize(
    ("a", "b", "c", "d", "meet"),
    [
        ((0, 0), (1, 1), (0, 1), (1, 0), True),  # an X
        ((0, 0), (1, 0), (2, 0), (3, 0), False),  # collinear, apart
        ((0, 0), (2, 0), (1, 0), (3, 0), True),  # collinear, overlapping
        ((0, 0), (1, 0), (1, 0), (1, 1), True),  # touching at an end
        ((0, 0), (1, 0), (0, 1), (1, 1), False),  # parallel
    ],
)
def test_segments_meet(
    a: tuple[float, float],
    b: tuple[float, float],
    c: tuple[float, float],
    d: tuple[float, float],
    meet: bool,
) -> None:
    assert segments_meet(a, b, c, d) is meet
    assert segments_meet(c, d, a, b) is meet


def test_area_and_crossings_of_a_square() -> None:
    assert area(SQUARE) == pytest.approx(0.16)
    assert area(list(reversed(SQUARE))) == pytest.approx(0.16)
    assert crossings(SQUARE) == []


def test_the_zone_model_refuses_a_bow_tie_by_name() -> None:
    body = {
        "zone_id": "yard",
        "name": "yard",
        "polygon_norm": [(0.1, 0.1), (0.5, 0.5), (0.5, 0.1), (0.1, 0.5)],
        "categories": ["06901"],
        "target": {"lon": 120.3, "lat": 30.1},
    }
    with pytest.raises(ValidationError, match="edge 1–2 crosses edge 3–4"):
        Zone.model_validate(body)
    Zone.model_validate(body | {"polygon_norm": SQUARE})

"""The zone editor's checks on drawn zones (``hub/zones/draft.py``): table tests, no I/O."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.cameras import Camera
from hub.zones.draft import check_zones, refusal
from hub.zones.map_view import bounds_around, grids_in

CAMERA = Camera.model_validate(
    {
        "camera_id": "cam-01",
        "name": "cam",
        "box_id": "edge-01",
        "mount": {"lon": 120.30, "lat": 30.10},
        "stream": {"main": {"kind": "synthetic", "preset": "street_corner"}},
        "zones": [
            {
                "zone_id": "ground",
                "name": "ground",
                "polygon_norm": [[0, 0.5], [1, 0.5], [1, 1]],
                "categories": ["06901"],
                "target": {"lon": 120.30, "lat": 30.10},
            }
        ],
    }
)
CATEGORIES = ["06010", "06901"]


def locate(lon: float, lat: float) -> str | None:
    """Two grids side by side: west of 120.31 is A, east of it (to 120.32) is B."""
    if not 30.09 <= lat <= 30.11:
        return None
    if 120.29 <= lon < 120.31:
        return "339901001001001"
    if 120.31 <= lon <= 120.32:
        return "339901001001002"
    return None


def zone(**kw: Any) -> dict[str, Any]:
    return {
        "zone_id": "yard",
        "name": "yard",
        "polygon_norm": [[0.1, 0.5], [0.4, 0.5], [0.4, 0.9], [0.1, 0.9]],
        "categories": ["06901"],
        "target": {"lon": 120.315, "lat": 30.10},
    } | kw


@pytest.mark.parametrize(
    ("drawn", "grids", "problem"),
    [
        ([zone()], ["339901001001002"], None),
        ([zone(), zone(zone_id="east", target={"lon": 120.30, "lat": 30.1})], None, None),
        (
            [zone(polygon_norm=[[0.1, 0.5], [0.4, 0.9], [0.4, 0.5], [0.1, 0.9]])],
            None,
            "zone yard: edge 1–2 crosses edge 3–4: the polygon crosses itself",
        ),
        (
            [zone(polygon_norm=[[0.1, 0.5], [1.04, 0.5], [0.4, 0.9]])],
            None,
            "zone yard: point 2 (1.040, 0.500) is outside the frame",
        ),
        ([zone(polygon_norm=[[0.1, 0.5], [0.4, 0.5]])], None, "at least 3 points, got 2"),
        ([zone(target={"lon": 120.5, "lat": 30.1})], [None], "is in no grid"),
        ([zone(categories=["99999"])], None, "category '99999' is not in the district"),
        ([zone(categories=[])], None, "categories: List should have at least 1 item"),
        ([zone(zone_id="Bad Id")], None, "zone Bad Id: zone_id: String should match"),
        ([zone(), zone()], None, "zone yard: zone id 'yard' is used twice"),
        ([], None, "a camera needs at least one zone"),
        (["not a zone"], None, "zone #1:"),
    ],
)
def test_check_zones(drawn: list[Any], grids: list[str | None] | None, problem: str | None) -> None:
    zones, checks = check_zones(CAMERA, drawn, CATEGORIES, locate)
    if problem is None:
        assert zones is not None and [z.zone_id for z in zones] == [d["zone_id"] for d in drawn]
        assert not any(c.problems for c in checks)
    else:
        assert zones is None
        assert problem in refusal(checks), refusal(checks)
    if grids is not None:
        assert [c.grid_code for c in checks] == grids


def test_the_map_holds_the_grids_around_the_camera() -> None:
    b = bounds_around([(120.30, 30.10), (120.31, 30.105)], margin=0.001)
    assert b == pytest.approx([120.299, 30.099, 120.311, 30.106])
    ring = [[120.2995, 30.0995], [120.3005, 30.0995], [120.3005, 30.1005], [120.2995, 30.0995]]
    far = [[p[0] + 1, p[1]] for p in ring]
    geo = {
        "features": [
            {"geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": {"code": "a"}},
            {"geometry": {"type": "Polygon", "coordinates": [far]}, "properties": {"code": "b"}},
        ]
    }
    assert [g["code"] for g in grids_in(geo, b)] == ["a"]

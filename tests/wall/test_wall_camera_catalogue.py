"""Table tests of the county-size camera picker, map and camera tours (pure:
hub/domain/camera_catalogue.py, hub/domain/camera_map.py)."""

from __future__ import annotations

import pytest

from hub.domain.camera_catalogue import (
    CameraEntry,
    CameraQuery,
    CatalogueError,
    matching,
    page,
    status_of,
    tour_page,
    tour_pages,
)
from hub.domain.camera_map import BBox, MapError, MapPoint, map_view

# 12,000 cameras: 1,000 boxes × 12, on a 100 × 120 lattice of 0.001°
ENTRIES = [
    CameraEntry.of(
        f"box-{b:04d}-c{k:02d}",
        f"B{b:04d}-C{k:02d}",
        f"box-{b:04d}",
        f"33990100100{b % 10}",
        120.0 + (b % 100) * 0.001,
        30.0 + (b // 100 * 12 + k) * 0.001,
        "东门" if b % 10 == 3 else "",
    )
    for b in range(1000)
    for k in range(12)
]
STATUS = {e.camera_id: "offline" if e.box_id == "box-0007" else "online" for e in ENTRIES}


@pytest.mark.parametrize(
    ("query", "total", "first"),
    [
        (CameraQuery(), 12_000, "box-0000-c00"),
        (CameraQuery(q="box-0042"), 12, "box-0042-c00"),
        (CameraQuery(q="B0042 c11"), 1, "box-0042-c11"),  # every word, any case
        (CameraQuery(q="东门"), 1200, "box-0003-c00"),  # the grid's name
        (CameraQuery(q="339901001003"), 1200, "box-0003-c00"),  # the grid's code
        (CameraQuery(status="offline"), 12, "box-0007-c00"),
        (CameraQuery(q="box-0008", status="offline"), 0, None),
        (CameraQuery(q="nothing-like-it"), 0, None),
    ],
)
def test_search(query: CameraQuery, total: int, first: str | None) -> None:
    found = matching(ENTRIES, STATUS, query)
    assert len(found) == total
    assert (found[0].camera_id if found else None) == first


def test_search_pages_and_a_place() -> None:
    found = matching(ENTRIES, STATUS, CameraQuery(), allowed=lambda c: c.startswith("box-01"))
    assert len(found) == 1200
    second = page(found, CameraQuery(limit=50, offset=50))
    assert [e.camera_id for e in second][:2] == ["box-0104-c02", "box-0104-c03"]
    assert page(found, CameraQuery(limit=50, offset=1190))[-1].camera_id == "box-0199-c11"
    assert page(found, CameraQuery(offset=5000)) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit 0 must be 1 to 200"),
        ({"limit": 12_000}, "limit 12000 must be 1 to 200"),
        ({"offset": -1}, "offset -1 must not be negative"),
        ({"status": "asleep"}, "status 'asleep' is not one of online, offline, not_started"),
        ({"q": "x" * 65}, "q is 65 characters; at most 64"),
    ],
)
def test_bad_query_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        CameraQuery(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("box", "down_boxes", "down_cams", "heard", "status"),
    [
        ("b1", set(), set(), None, "online"),
        ("b1", set(), set(), {"b1"}, "online"),
        ("b1", set(), set(), {"b2"}, "not_started"),
        ("b1", {"b1"}, set(), {"b1"}, "offline"),
        ("b1", set(), {"c1"}, set(), "offline"),  # an offline alarm wins over never heard
    ],
)
def test_status(
    box: str, down_boxes: set[str], down_cams: set[str], heard: set[str] | None, status: str
) -> None:
    e = CameraEntry.of("c1", "C1", box, None, 120, 30)
    assert status_of(e, down_boxes, down_cams, heard) == status


@pytest.mark.parametrize(
    ("count", "per_page", "position", "pages", "shown"),
    [
        (12_000, 64, 0, 188, ["c00000", "c00063"]),
        (12_000, 64, 187, 188, ["c11968", "c11999"]),  # the last wall-full is short
        (12_000, 64, 188, 188, ["c00000", "c00063"]),  # and the tour wraps around
        (0, 16, 3, 1, []),
    ],
)
def test_camera_tour_pages(
    count: int, per_page: int, position: int, pages: int, shown: list[str]
) -> None:
    ids = [f"c{i:05d}" for i in range(count)]
    assert tour_pages(count, per_page) == pages
    got = tour_page(ids, per_page, position)
    assert [got[0], got[-1]] == shown if got else shown == []


POINTS = [MapPoint(e.camera_id, e.lon, e.lat, STATUS[e.camera_id]) for e in ENTRIES]
COUNTY = BBox(119.9999, 29.9999, 120.1, 30.121)


@pytest.mark.parametrize(
    ("view", "max_pins", "total", "pins", "clusters_at_most"),
    [
        (COUNTY, 400, 12_000, 0, 16 * 16),  # the whole county: clusters, never 12,000 nodes
        (BBox(120.0, 30.0, 120.0021, 30.0115), 400, 36, 36, 0),  # zoomed in: pins
        (BBox(121.0, 31.0, 121.1, 31.1), 400, 0, 0, 0),  # nothing there
    ],
)
def test_map_view(view: BBox, max_pins: int, total: int, pins: int, clusters_at_most: int) -> None:
    out = map_view(POINTS, view, max_pins)
    assert out.total == total
    assert len(out.pins) == pins
    assert len(out.clusters) <= clusters_at_most
    assert sum(c.count for c in out.clusters) + len(out.pins) == total
    if out.clusters:
        assert (
            sum(c.offline for c in out.clusters) + sum(p.status == "offline" for p in out.pins)
            == 12
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3", "bbox '1,2,3' must be four numbers"),
        ("a,b,c,d", "must be four numbers"),
        ("120.1,30,120.0,30.1", "west < east"),
        ("120,30,120.1,30", "south < north"),
        ("120,30,nan,31", "not a number"),
    ],
)
def test_bad_bbox_is_refused(text: str, message: str) -> None:
    with pytest.raises(MapError, match=message):
        BBox.parse(text)

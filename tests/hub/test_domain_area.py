"""Table tests: which places a user of a county, street, community or grid may see."""

from __future__ import annotations

import pytest

from hub.domain.area import Area, AreaError, covers, covers_any, lineage, parse_area

COUNTY = "339901"
STREETS = ["339901001", "339901002"]
COMMUNITIES = ["339901001001", "339901001002", "339901002001"]
GRIDS = ["339901001001001", "339901001002003", "339901002001001", "339901001001901"]
# a professional grid with a code outside its parent's prefix, and a micro grid under a basic
PARENTS: dict[str, str | None] = {
    "339901001001901": "339901001001001",
    "339901777000001": "339901002001001",
    "339901001001001": None,
}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("339901", Area("county", "339901")),
        ("339901001", Area("street", "339901001")),
        ("339901001002", Area("community", "339901001002")),
        ("339901002001001", Area("grid", "339901002001001")),
        ("339901009", "unknown street '339901009'"),
        ("339901001009", "unknown community '339901001009'"),
        ("339902", "unknown county '339902'"),
        ("339901001001999", "unknown grid '339901001001999'"),
        ("3399010011", "must be a county (6 digits), street (9)"),
        ("33990a001", "must be a county (6 digits), street (9)"),
        ("", "must be a county"),
    ],
)
def test_parse_area(code: str, expected: Area | str) -> None:
    if isinstance(expected, Area):
        assert parse_area(code, COUNTY, STREETS, COMMUNITIES, GRIDS) == expected
    else:
        with pytest.raises(AreaError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            parse_area(code, COUNTY, STREETS, COMMUNITIES, GRIDS)


STREET_1 = Area("street", "339901001")
COMMUNITY_1_2 = Area("community", "339901001002")


@pytest.mark.parametrize(
    ("area", "grid", "sees"),
    [
        (None, "339901002001001", True),  # no place: the county, today's behaviour
        (None, None, True),
        (Area("county", COUNTY), "339901002001001", True),
        (Area("county", COUNTY), "", True),
        (STREET_1, "339901001001001", True),
        (STREET_1, "339901001002003", True),
        (STREET_1, "339901002001001", False),  # another street's grid
        (STREET_1, None, False),  # unplaced: the county's alone
        (STREET_1, "", False),
        (STREET_1, "339901001001901", True),  # micro grid under one of its grids
        (STREET_1, "339901777000001", False),  # professional grid under another street's
        (Area("street", "339901002"), "339901777000001", True),
        (COMMUNITY_1_2, "339901001002003", True),
        (COMMUNITY_1_2, "339901001001001", False),  # same street, another community
        (Area("grid", "339901001001001"), "339901001001001", True),
        (Area("grid", "339901001001001"), "339901001001901", True),
        (Area("grid", "339901001001001"), "339901001001002", False),
    ],
)
def test_covers(area: Area | None, grid: str | None, sees: bool) -> None:
    assert covers(area, grid, PARENTS) is sees


@pytest.mark.parametrize(
    ("area", "zone_grids", "sees"),
    [
        (STREET_1, ["339901002001001", "339901001002003"], True),  # one zone looks into it
        (STREET_1, ["339901002001001"], False),
        (STREET_1, [None], False),  # a zone outside every grid
        (STREET_1, [], False),
        (None, [], True),
    ],
)
def test_camera_in_area(area: Area | None, zone_grids: list[str | None], sees: bool) -> None:
    assert covers_any(area, zone_grids, PARENTS) is sees


def test_lineage_stops_at_a_loop() -> None:
    loop: dict[str, str | None] = {"a": "b", "b": "a"}
    assert lineage("a", loop) == ["a", "b"]

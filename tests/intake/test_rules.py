"""Table tests: intake's checks, the events a new case starts with, sources on the case,
and the EXIF time and place read from a photo."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.case_state import CaseView, TransitionError, fold, next_event
from hub.intake.exif import ExifFacts, read_exif
from hub.intake.rules import (
    IntakeRejected,
    Report,
    check_category,
    check_photo_count,
    check_ref,
    first_actions,
    place_in_grid,
)
from tests.intake.jpeg import exif_block, jpeg


def _locate(lon: float, lat: float) -> str | None:
    return "339901001001007" if 120 <= lon <= 121 and 30 <= lat <= 31 else None


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (120.3, 30.1, "339901001001007"),
        (121.5, 30.1, "the point (121.5, 30.1) is outside the district's grids"),
        (200.0, 30.1, "is not a longitude, latitude pair"),
        (120.3, -95.0, "is not a longitude, latitude pair"),
    ],
)
def test_place_in_grid(lon: float, lat: float, expected: str) -> None:
    if expected.isdigit():
        assert place_in_grid(lon, lat, _locate) == expected
    else:
        with pytest.raises(IntakeRejected, match=expected.replace("(", r"\(").replace(")", r"\)")):
            place_in_grid(lon, lat, _locate)


@pytest.mark.parametrize(
    ("source", "on_the_spot", "before", "after", "error"),
    [
        ("grid_member", False, 1, 0, None),
        ("grid_member", True, 1, 1, None),
        ("grid_member", False, 0, 0, "a grid_member report needs at least one photo"),
        ("public", False, 0, 0, "a public report needs at least one photo"),
        ("public", False, 2, 0, None),
        ("hotline", False, 0, 0, None),
        ("operator", False, 0, 0, None),
        ("grid_member", True, 1, 0, "needs an after-photo"),
        ("public", True, 1, 1, "only a grid member's patrol report"),
        ("grid_member", False, 1, 1, "after-photos belong to a fix on the spot"),
    ],
)
def test_photo_count(
    source: str, on_the_spot: bool, before: int, after: int, error: str | None
) -> None:
    if error is None:
        check_photo_count(source, on_the_spot, before, after)
    else:
        with pytest.raises(IntakeRejected, match=error):
            check_photo_count(source, on_the_spot, before, after)


def test_category_and_reference_checks() -> None:
    assert check_category("06010", {"06010": 1}) == "06010"
    with pytest.raises(IntakeRejected, match=r"unknown category '0601'; known: \['06010'\]"):
        check_category("0601", {"06010": 1})
    assert check_ref("12345:GD-2026-001") == "12345:GD-2026-001"
    with pytest.raises(IntakeRejected, match="must be 1-128 characters"):
        check_ref("a b")


def _report(source: str, on_the_spot: bool = False) -> Report:
    return Report(
        source, "r1", "06010", 120.3, 30.1, "339901001001007", "x", on_the_spot=on_the_spot
    )


@pytest.mark.parametrize(
    ("source", "on_the_spot", "digit", "actions"),
    [
        ("public", False, 4, ["report"]),
        ("grid_member", False, 2, ["report", "file", "dispatch"]),
        (
            "grid_member",
            True,
            2,
            ["report", "file", "dispatch", "accept", "resolve", "verify", "close"],
        ),
        ("hotline", False, 3, ["report", "file", "dispatch"]),
        ("department", False, 9, ["report", "file", "dispatch"]),
        ("operator", False, 9, ["report", "file", "dispatch"]),
    ],
)
def test_first_actions_and_digit(
    source: str, on_the_spot: bool, digit: int, actions: list[str]
) -> None:
    r = _report(source, on_the_spot)
    assert int(r.digit) == digit
    assert first_actions(r) == actions
    # the chain is allowed by the case state machine, ending where intake says
    view, events = CaseView(), []
    for a in actions:
        events.append(next_event(view, a, actor="t", at_ms=1, data={"source": source}))
        view = fold(events)
    assert (
        view.state
        == {"report": "reported", "dispatch": "dispatched", "close": "closed"}[actions[-1]]
    )


def _fold(steps: list[tuple[str, dict[str, Any]]]) -> CaseView:
    view, events = CaseView(), []
    for action, data in steps:
        events.append(next_event(view, action, actor="t", at_ms=1, data=data))
        view = fold(events)
    return view


@pytest.mark.parametrize(
    ("steps", "sources", "department", "handovers"),
    [
        ([("report", {"source": "grid_member", "department": "a"})], ("grid_member",), "a", 0),
        # a camera case with a patrol report and a second camera attached
        (
            [
                ("report", {"alarm_key": "cam-01:ground:06010"}),
                ("attach_report", {"source": "grid_member"}),
                ("attach_alarm", {"alarm_key": "cam-91:ground:06010"}),
            ],
            ("video_ai", "grid_member"),
            None,
            0,
        ),
        # a patrol case a camera alarm then joins; a citizen twice counts once
        (
            [
                ("report", {"source": "grid_member"}),
                ("attach_alarm", {"alarm_key": "cam-01:ground:06010"}),
                ("attach_report", {"source": "public"}),
                ("attach_report", {"source": "public"}),
            ],
            ("grid_member", "video_ai", "public"),
            None,
            0,
        ),
        (
            [
                ("report", {"source": "hotline", "department": "a"}),
                ("file", {}),
                ("hand_over", {"to_department": "b", "to_platform": "services"}),
                ("hand_over", {"to_department": "c", "to_platform": "market"}),
            ],
            ("hotline",),
            "c",
            2,
        ),
    ],
)
def test_sources_and_hand_overs_fold(
    steps: list[tuple[str, dict[str, Any]]],
    sources: tuple[str, ...],
    department: str | None,
    handovers: int,
) -> None:
    view = _fold(steps)
    assert view.sources == sources
    assert view.facts.get("department") == department
    assert view.handovers == handovers


def test_a_closed_case_is_not_handed_over() -> None:
    view = _fold([("report", {}), ("reject", {})])
    with pytest.raises(TransitionError, match="cannot 'hand_over' a case in state 'rejected'"):
        next_event(view, "hand_over", actor="t", at_ms=1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            jpeg("2026:11:23 08:41:07", 120.309361, 30.105401),
            ExifFacts("2026:11:23 08:41:07", 120.309361, 30.105401),
        ),
        (
            jpeg("2026:11:23 08:41:07", -73.5, -33.25),
            ExifFacts("2026:11:23 08:41:07", -73.5, -33.25),
        ),
        (jpeg("2026:11:23 08:41:07"), ExifFacts("2026:11:23 08:41:07")),
        (jpeg(), ExifFacts()),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, ExifFacts()),
        # a broken block: its IFD points past the end
        (b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00\xff\xff\x00\x00\xff\xd9", ExifFacts()),
        (b"\xff\xd8\xff\xe1\x00\x0eExif\x00\x00" + exif_block(None, None, None)[:6], ExifFacts()),
    ],
)
def test_exif_time_and_place(data: bytes, expected: ExifFacts) -> None:
    got = read_exif(data)
    assert got.taken_at == expected.taken_at
    for a, b in ((got.lon, expected.lon), (got.lat, expected.lat)):
        assert (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-5)

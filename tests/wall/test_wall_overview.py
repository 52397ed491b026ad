"""Table tests of the overview scene's camera placement (hub/domain/wall_overview.py)."""

from __future__ import annotations

import pytest

from hub.domain.wall_overview import camera_order, overview_monitors
from hub.domain.wall_rules import WallRuleError

CAMS = [f"cam-{i:02d}" for i in range(1, 25)]
DEMO_LAYOUTS = ["map+kpi+6", "9", "1+5", "4"]
EDGE_01 = {"cam-01", "cam-02", "cam-03", "cam-04", "cam-22"}


@pytest.mark.parametrize(
    ("cameras", "streamed", "expected"),
    [
        (["c", "a", "b"], set(), ["a", "b", "c"]),
        (["c", "a", "b"], {"c"}, ["c", "a", "b"]),
        (["c", "a", "b"], {"c", "b"}, ["b", "c", "a"]),
        (["a", "b"], {"x"}, ["a", "b"]),  # a streamed id the district lacks changes nothing
        ([], {"a"}, []),
    ],
)
def test_camera_order(cameras: list[str], streamed: set[str], expected: list[str]) -> None:
    assert camera_order(cameras, streamed) == expected


@pytest.mark.parametrize(
    ("streamed", "first_screen", "second_screen"),
    [
        # nothing streamed (no video settings): camera-id order, as before
        (set(), CAMS[0:6], CAMS[6:15]),
        # the default demo (edge-01's five cameras): all five on the first screen
        (EDGE_01, ["cam-01", "cam-02", "cam-03", "cam-04", "cam-22", "cam-05"], CAMS[5:14]),
        # every camera streamed: camera-id order
        (set(CAMS), CAMS[0:6], CAMS[6:15]),
    ],
)
def test_demo_overview_puts_streamed_cameras_first(
    streamed: set[str], first_screen: list[str], second_screen: list[str]
) -> None:
    mons = overview_monitors(CAMS, streamed, DEMO_LAYOUTS, alarm_monitors={3})
    assert [layout for layout, _ in mons] == DEMO_LAYOUTS
    assert mons[0][1] == first_screen
    assert mons[1][1] == second_screen
    assert len(mons[2][1]) == 6
    assert mons[3][1] == []  # the alarm monitor is left for alarms
    placed = [c for _, cams in mons for c in cams]
    assert len(placed) == len(set(placed)) == 21


@pytest.mark.parametrize(
    ("cameras", "layouts", "alarm_monitors", "expected"),
    [
        (["a", "b", "c"], ["4", "4"], set(), [("4", ["a", "b", "c"]), ("4", [])]),
        (["a", "b", "c"], ["1", "1", "4"], {1}, [("1", ["a"]), ("1", []), ("4", ["b", "c"])]),
        (["a"], ["map+kpi+6"], set(), [("map+kpi+6", ["a"])]),
        ([], ["9"], set(), [("9", [])]),
    ],
)
def test_overview_fills_monitors_in_order(
    cameras: list[str],
    layouts: list[str],
    alarm_monitors: set[int],
    expected: list[tuple[str, list[str]]],
) -> None:
    assert overview_monitors(cameras, set(), layouts, alarm_monitors) == expected


def test_unknown_layout_is_named() -> None:
    with pytest.raises(WallRuleError, match="'3x3'"):
        overview_monitors(["a"], set(), ["3x3"], set())

"""The wall shows a 1+1+X command's turnout on its case tile, in headless Chromium: units that
acknowledged of those named, and the time since the command, moving as units acknowledge."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wall.conftest import Publisher, WallServer
from tests.wall.test_wall_browser import define_wall, jpeg, open_monitor

pytestmark = pytest.mark.integration


def test_case_tile_counts_the_joint_command_turnout(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    d = wall_server.district
    define_wall(wall_server, "jt", {"rows": 1, "cols": 1, "layout": "4"}, {})
    wall = open_monitor(browser, wall_server, "jt", "0")
    try:
        publisher.alert(d, "cam-01", "06901", confidence=0.99, snapshot=jpeg())
        wall.wait_for_function(
            "() => document.querySelector('gw-tile[alarm]')?.dataset.turnout === '0/4'",
            timeout=15_000,
        )
        tile = wall.locator("gw-tile[alarm]")
        no = tile.get_attribute("data-case-no") or ""
        text = tile.evaluate("t => t.shadowRoot.querySelector('.turnout').textContent")
        assert text.startswith("1+1+X 0/4 · 00:")
        with wall_server.client() as c:
            joint = c.get(f"/api/cases/{no}").json()["joint"]
            for unit in (joint["commander"], joint["lead"]):
                r = c.post(f"/api/cases/{no}/actions", json={"action": "joint_ack", "unit": unit})
                assert r.status_code == 200, r.text
        wall.wait_for_function(
            "() => document.querySelector('gw-tile[alarm]').dataset.turnout === '2/4'",
            timeout=10_000,
        )
    finally:
        wall.close()

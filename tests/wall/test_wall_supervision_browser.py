"""In headless Chromium against the hub: the console's case list and detail show an open
case's supervision colour and share of its time limit, and an operator issues a supervision
order (note and deadline) from the detail, which lands on the case's log."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.wall.conftest import ARTIFACTS, Publisher, WallServer
from tests.wall.test_wall_browser import define_wall
from tests.wall.test_wall_console_browser import DESK, cases_of

pytestmark = pytest.mark.integration


def test_console_shows_the_colour_and_issues_a_supervision_order(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    d = wall_server.district
    define_wall(wall_server, "desk", {"rows": 1, "cols": 1, "layout": "4"}, {})
    publisher.alert(d, "cam-01", "06010", confidence=0.99)
    no = cases_of(wall_server, 1)[0]["case_no"]
    with wall_server.client() as c:
        [row] = c.get("/api/supervision").json()
    # just dispatched: green, little or none of its time used (none outside working hours)
    assert row["case_no"] == no and row["colour"] == "green" and row["share"] < 0.2
    page = browser.new_page(viewport=DESK)
    try:
        page.goto(wall_server.page_url("/console/?wall=desk"))
        item = page.locator(f'#cases li.case[data-case-no="{no}"][data-colour="green"]')
        item.wait_for(timeout=8_000)
        assert "%" in item.locator(".sv").inner_text()
        item.click()
        page.locator('#detail .supervision[data-colour="green"]').wait_for(timeout=5_000)
        page.locator("#detail form.sv-order [name=note]").fill("两小时内清运并回传照片")
        page.locator("#detail form.sv-order [name=hours]").select_option("2")
        asked_ms = time.time() * 1000
        page.locator("#detail form.sv-order button").click()
        page.locator('#detail .timeline li[data-supervision="order"]').wait_for(timeout=8_000)
        assert (
            "两小时内清运"
            in page.locator('#detail .timeline li[data-supervision="order"]').inner_text()
        )
        page.screenshot(path=str(ARTIFACTS / "console-supervision.png"), full_page=True)
    finally:
        page.close()
    with wall_server.client() as c:
        events = c.get(f"/api/cases/{no}/timeline").json()
    [order] = [e for e in events if e["data"].get("supervision") == "order"]
    assert order["actor"].startswith("operator:") and order["note"] == "两小时内清运并回传照片"
    assert abs(order["data"]["deadline_ms"] - (asked_ms + 2 * 3_600_000)) < 60_000

"""A department's desk in the console, in headless Chromium against the whole hub: a token
scoped to the enforcement bureau sees only that department's queue (each case with its SLA
colour), assigns a case to one of its people, and hands another over to a different
department with a reason; the hub's records show both."""

from __future__ import annotations

from typing import Any

import pytest

from hub.api.auth import Principal
from tests.intake.conftest import PILE
from tests.wall.conftest import (  # noqa: F401  (fixtures)
    WallServer,
    browser,
    district,
    wait_for,
    wall_clock,
    wall_database_url,
    wall_server,
)

pytestmark = pytest.mark.integration
DESK_TOKEN = "desk-enforcement-token-0123456789"
VIEW = {"width": 1400, "height": 1000}


def imported(srv: WallServer, records: list[tuple[str, str]]) -> dict[str, str]:
    """External reference → case number of hotline records at the pile."""
    body = {
        "source": "hotline",
        "records": [
            {"external_ref": ref, "category": cat, "lon": PILE[0], "lat": PILE[1]}
            for ref, cat in records
        ],
    }
    with srv.client() as c:
        r = c.post("/api/intake/import", json=body)
        assert r.status_code == 200, r.text
        return {x["external_ref"]: x["case_no"] for x in r.json()["records"]}


def test_a_department_desk_assigns_and_hands_over(
    browser: Any,  # noqa: F811
    wall_server: WallServer,  # noqa: F811
) -> None:
    srv = wall_server
    srv.app.state.tokens[DESK_TOKEN] = Principal(
        "desk-law", "operator", None, None, "enforcement-bureau"
    )
    # 06010 and 06036 belong to the enforcement bureau; 08004 (site dust) to housing
    cases = imported(srv, [("D-1", "06010"), ("D-2", "06036"), ("D-3", "08004")])
    mine, other, dust = cases["D-1"], cases["D-2"], cases["D-3"]
    page = browser.new_page(viewport=VIEW)
    try:
        page.goto(f"{srv.url}/console/?desk=enforcement-bureau#token={DESK_TOKEN}")
        page.locator(f'#desk-cases li[data-case="{other}"]').wait_for(timeout=15_000)
        shown = page.eval_on_selector_all(
            "#desk-cases li[data-case]", "l => l.map(e => e.dataset.case)"
        )
        assert set(shown) == {mine, other}, shown  # not housing's dust case
        colours = page.eval_on_selector_all(
            "#desk-cases li[data-case]", "l => l.map(e => e.dataset.colour)"
        )
        assert set(colours) <= {"green", "yellow", "red"} and all(colours), colours
        assert page.is_hidden("#queue-box") and page.is_visible("#desk-box")

        # assign the first to one of the bureau's people
        row = page.locator(f'#desk-cases li[data-case="{mine}"]')
        person = row.locator("select.person option").nth(1).get_attribute("value")
        assert person is not None and person.endswith("-law")
        row.locator("select.person").select_option(person)
        row.locator("button.assign").click()
        page.wait_for_function(
            "() => document.querySelector('#desk-note').textContent.includes('assigned')",
            timeout=10_000,
        )
        with srv.client() as c:
            assert c.get(f"/api/cases/{mine}").json()["assignees"] == [person]

        # hand the second over to housing and construction, with a reason
        row = page.locator(f'#desk-cases li[data-case="{other}"]')
        row.locator("select.to").select_option("housing-construction")
        row.locator("input.reason").fill("工地材料, 属住建")
        row.locator("button.hand-over").click()
        row.wait_for(state="detached", timeout=10_000)
        with srv.client() as c:
            d = c.get(f"/api/cases/{other}").json()
            assert d["department"] == "housing-construction"
            timeline = c.get(f"/api/cases/{other}/timeline").json()
        assert timeline[-1]["action"] == "hand_over"
        assert timeline[-1]["reason"] == "工地材料, 属住建"
        shown = page.eval_on_selector_all(
            "#desk-cases li[data-case]", "l => l.map(e => e.dataset.case)"
        )
        assert shown == [mine] and dust not in shown
    finally:
        page.close()

"""The console and the wall against the hub's cases, in headless Chromium: case list with a
filter, case detail with its timeline, the case actions as the hub records them, a case
filed automatically on the wall, a confirm with a category edit, fleet alarms, the English
switch, the KPI panel's figures and a tile paused while hidden."""

from __future__ import annotations

import time
from typing import Any

import pytest

from contracts.codec import encode
from contracts.messages import Availability
from contracts.topics import TopicKind, topic_for
from hub.wall.app import ensure_demo_wall
from tests.wall.conftest import ARTIFACTS, FIXED_DAY_MS, WAIT_MS, Publisher, WallServer, wait_for
from tests.wall.test_wall_browser import ALL_LIVE, define_wall, jpeg, open_monitor

pytestmark = pytest.mark.integration
DESK = {"width": 1600, "height": 1000}


def cases_of(srv: WallServer, n: int) -> list[dict[str, Any]]:
    with srv.client() as c:
        got: list[dict[str, Any]] = wait_for(
            lambda: (lambda got: got if len(got) >= n else None)(c.get("/api/cases").json()),
            10,
            f"{n} cases in the hub",
        )
        return got


def case(srv: WallServer, no: str) -> dict[str, Any]:
    with srv.client() as c:
        out: dict[str, Any] = c.get(f"/api/cases/{no}").json()
        return out


def hub_act(srv: WallServer, no: str, action: str) -> None:
    with srv.client() as c:
        c.post(f"/api/cases/{no}/actions", json={"action": action}).raise_for_status()


def test_console_case_list_detail_and_actions_reach_the_hub(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    d = wall_server.district
    define_wall(wall_server, "desk", {"rows": 1, "cols": 1, "layout": "4"}, {})
    publisher.alert(d, "cam-01", "06010", confidence=0.99, snapshot=jpeg())
    publisher.alert(d, "cam-02", "06901", confidence=0.99)
    by_cat = {c["category"]: c["case_no"] for c in cases_of(wall_server, 2)}
    no = by_cat["06010"]
    page = browser.new_page(viewport=DESK)
    try:
        page.goto(wall_server.page_url("/console/?wall=desk"))
        page.locator("#cases li.case").nth(1).wait_for(timeout=WAIT_MS)
        # the filter: only exposed garbage
        page.locator("#case-filter [name=category]").select_option("06010")
        page.locator("#case-filter button").click()
        page.wait_for_function("() => document.querySelectorAll('#cases li.case').length === 1")
        assert page.locator("#cases li.case").get_attribute("data-case-no") == no
        # the detail with its timeline: reported, filed, dispatched
        page.locator(f'#cases li.case[data-case-no="{no}"]').click()
        page.locator("#detail .timeline li").nth(2).wait_for(timeout=WAIT_MS)
        acts = page.eval_on_selector_all(
            "#detail .timeline li", "l => l.map(x => x.dataset.action)"
        )
        assert acts == ["report", "file", "dispatch"]
        # the case number's QR code (一事一码) prints on the detail
        qr = page.locator("#detail figure.case-qr svg")
        assert qr.count() == 1 and qr.get_attribute("class") == "segno"
        assert page.locator("#detail figure.case-qr").get_attribute("title") == no
        # reassign to someone from the whole roster (not a routing candidate)
        cand = case(wall_server, no)
        with wall_server.client() as c:
            roster = c.get(f"/api/cases/{no}/candidates").json()
        routed = {p["person_id"] for p in roster["routed"]}
        pick = next(p for p in roster["roster"] if p["person_id"] not in routed)
        page.locator("#detail form.reassign select").select_option(pick["person_id"])
        page.locator("#detail form.reassign button").click()
        page.wait_for_function(
            "() => document.querySelector('#detail .timeline li[data-action=reassign]')"
        )
        assert case(wall_server, no)["assignees"] == [pick["person_id"]] != cand["assignees"]
        assert pick["name"] in page.locator("#detail .assignees").inner_text()
        # 1+1+X: the suggestion, with one cooperating unit picked by hand
        coop = sorted(routed)[0]
        page.locator("#detail form.joint [name=cooperating]").select_option([coop])
        page.locator("#detail form.joint button").click()
        page.wait_for_function(
            "() => document.querySelector('#detail .timeline li[data-action=joint]')"
        )
        joint = case(wall_server, no)["joint"]
        assert joint["cooperating"] == [coop]
        assert (joint["commander"], joint["lead"]) == (
            roster["joint"]["commander"],
            roster["joint"]["lead"],
        )
        # escalate: the hub raises the tier
        page.locator('#detail .actions [data-action="escalate"]').click()
        page.wait_for_function(
            "() => document.querySelector('#detail .timeline li[data-action=escalate]')"
        )
        assert case(wall_server, no)["tier"] == 1
        # dispatch again after the responder returned it
        hub_act(wall_server, no, "return")
        page.locator(f'#cases li.case[data-case-no="{no}"]').click()
        page.wait_for_function(
            "() => document.querySelector('#detail').dataset.state === 'returned'"
        )
        page.locator('#detail .actions [data-action="dispatch"]').click()
        page.wait_for_function(
            "() => document.querySelector('#detail').dataset.state === 'dispatched'"
        )
        assert case(wall_server, no)["state"] == "dispatched"
        # a refused action says why, in the console
        page.locator('#detail .actions [data-action="close"]').click()
        page.wait_for_function(
            "() => document.querySelector('#detail .note').textContent.includes('close')"
        )
        # resolved in the field, verified and closed at the desk
        hub_act(wall_server, no, "accept")
        hub_act(wall_server, no, "resolve")
        page.locator(f'#cases li.case[data-case-no="{no}"]').click()
        page.wait_for_function(
            "() => document.querySelector('#detail').dataset.state === 'resolved'"
        )
        page.locator('#detail .actions [data-action="verify"]').click()
        page.wait_for_function(
            "() => document.querySelector('#detail').dataset.state === 'verified'"
        )
        page.locator('#detail .actions [data-action="close"]').click()
        page.wait_for_function("() => document.querySelector('#detail').dataset.state === 'closed'")
        assert case(wall_server, no)["state"] == "closed"
        page.screenshot(path=str(ARTIFACTS / "console-case-detail.png"), full_page=True)
        # the closed case left the wall; the other one is still there
        with wall_server.client() as c:
            on_wall = wait_for(
                lambda: (lambda a: a if len(a) == 1 else None)(c.get("/api/wall/alarms").json()),
                5,
                "the closed case to leave the wall",
            )
        assert on_wall[0]["case_no"] == by_cat["06901"]
    finally:
        page.close()


def test_auto_filed_case_on_the_wall_with_number_and_countdown(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    cams = sorted(wall_server.district.cameras)
    define_wall(wall_server, "af", {"rows": 1, "cols": 1, "layout": "4"}, {(0, 0): cams[0]})
    page = open_monitor(browser, wall_server, "af", "0")
    try:
        page.wait_for_function(ALL_LIVE, timeout=20_000)
        publisher.alert(wall_server.district, "cam-03", "06901", confidence=0.99, snapshot=jpeg())
        page.wait_for_function(
            "() => document.querySelector('gw-tile[alarm]')?.dataset.caseNo", timeout=WAIT_MS
        )
        tile = page.locator("gw-tile[alarm]")
        no = tile.get_attribute("data-case-no") or ""
        hub = case(wall_server, no)
        assert hub["category"] == "06901" and tile.get_attribute("data-status") == "dispatched"
        assert no in tile.evaluate("t => t.shadowRoot.querySelector('.caseno').textContent")
        # the countdown runs to the case's own accept deadline
        assert tile.evaluate("t => t.alarm.deadline_ms") == hub["facts"]["accept_due_ms"]
        left0 = int(tile.get_attribute("data-seconds-left") or "0")
        time.sleep(1.3)
        left1 = int(tile.get_attribute("data-seconds-left") or "0")
        assert 0 < left1 < left0 <= 15 * 60, (left0, left1)  # gas cylinders: 15 natural min
        names = tile.evaluate("t => t.shadowRoot.querySelector('.who').textContent")
        assert names and all(hub["people"][p]["name"] in names for p in hub["assignees"])
        page.screenshot(path=str(ARTIFACTS / "wall-auto-filed-case.png"))
    finally:
        page.close()


def test_confirm_with_a_category_edit_files_that_category_and_the_wall_shows_it(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    d = wall_server.district
    define_wall(wall_server, "ce", {"rows": 1, "cols": 1, "layout": "4"}, {})
    wall = open_monitor(browser, wall_server, "ce", "0")
    console = browser.new_page(viewport=DESK)
    try:
        console.goto(wall_server.page_url("/console/?wall=ce"))
        publisher.alert(d, "cam-01", "06010", snapshot=jpeg())
        item = console.locator('li.item[data-alarm-id^="cam-01:"]')
        item.wait_for(timeout=WAIT_MS)
        wall.wait_for_function(
            "() => document.querySelector('gw-tile[alarm]')?.dataset.status === 'verifying'",
            timeout=WAIT_MS,
        )
        item.locator("select[name=category]").select_option("06036")
        item.locator("button.confirm").click()
        wall.wait_for_function(
            "() => document.querySelector('gw-tile[alarm]')?.dataset.caseNo", timeout=WAIT_MS
        )
        tile = wall.locator("gw-tile[alarm]")
        no = tile.get_attribute("data-case-no") or ""
        hub = case(wall_server, no)
        assert hub["category"] == "06036" and hub["facts"]["detected_category"] == "06010"
        cat = tile.evaluate("t => t.shadowRoot.querySelector('.cat').textContent")
        assert cat == d.categories["06036"].name_zh
        # routing and deadline follow the edited category (06036: the 1-day profile)
        assert hub["facts"]["policy"]["name"].endswith("/routine_1d")
        assert tile.evaluate("t => t.alarm.deadline_ms") == hub["facts"]["accept_due_ms"]
        wall.screenshot(path=str(ARTIFACTS / "wall-confirmed-with-edit.png"))
    finally:
        wall.close()
        console.close()


def test_fleet_alarm_shows_on_the_wall_until_it_clears(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    wall_server.run(ensure_demo_wall(wall_server.parts.service))
    d = wall_server.district
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(wall_server.page_url("/wall/?wall=main&monitor=all"))
        page.wait_for_function(ALL_LIVE, timeout=60_000)
        cam = sorted(d.cameras)[0]  # on the map's monitor
        box = d.cameras[cam].box_id
        assert page.locator("#fleet-banner").is_hidden()
        topic = topic_for(publisher.prefix, TopicKind.AVAILABILITY, box)
        publisher.client.publish(topic, encode(Availability(box_id=box, state="offline")), qos=1)
        page.wait_for_function(
            f"() => document.querySelector('#fleet-banner [data-key=\"box:{box}\"]')",
            timeout=WAIT_MS,
        )
        assert box in page.locator("#fleet-banner").inner_text()
        page.wait_for_function(
            f"() => document.querySelector('gw-tile[camera=\"{cam}\"]').state === 'offline'"
        )
        page.wait_for_function(  # the map asks the hub for its pins at most every 2 s
            f"() => document.querySelector('circle.pin[data-camera=\"{cam}\"]')"
            ".classList.contains('down')",
            timeout=WAIT_MS,
        )
        page.wait_for_function("() => document.querySelector('.ticker .tick.fleet.raise')")
        page.screenshot(path=str(ARTIFACTS / "wall-fleet-alarm.png"))
        publisher.client.publish(topic, encode(Availability(box_id=box, state="online")), qos=1)
        page.wait_for_function(
            "() => document.querySelector('#fleet-banner').hidden", timeout=WAIT_MS
        )
        page.wait_for_function(
            f"() => document.querySelector('gw-tile[camera=\"{cam}\"]').state === 'live'",
            timeout=20_000,
        )
        assert "down" not in (
            page.locator(f'circle.pin[data-camera="{cam}"]').get_attribute("class") or ""
        )
    finally:
        page.close()


def test_english_switch_on_the_console_and_the_wall(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    d = wall_server.district
    define_wall(wall_server, "en", {"rows": 1, "cols": 1, "layout": "4"}, {})
    console = browser.new_page(viewport=DESK)
    wall = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        console.goto(wall_server.page_url("/console/?wall=en"))
        wall.goto(wall_server.page_url("/wall/?wall=en&monitor=0&lang=en"))
        publisher.alert(d, "cam-01", "06010")
        console.locator("li.item").wait_for(timeout=WAIT_MS)
        assert console.locator("#queue-box h2").inner_text() == "待核实告警"
        console.locator("#lang").click()
        console.wait_for_function(
            "() => document.querySelector('#queue-box h2').textContent === 'Verification queue'"
        )
        console.wait_for_function(
            "() => document.querySelector('li.item button.confirm')?.textContent === 'Confirm as case'"
        )
        assert console.locator("#case-filter option[value=dispatched]").inner_text() == "Dispatched"
        wall.wait_for_function("() => document.querySelector('gw-tile[alarm]')", timeout=WAIT_MS)
        tile = wall.locator("gw-tile[alarm]")
        assert (
            tile.evaluate("t => t.shadowRoot.querySelector('.status').textContent") == "To verify"
        )
        assert (
            tile.evaluate("t => t.shadowRoot.querySelector('.cat').textContent")
            == d.categories["06010"].name_en
        )
        console.screenshot(path=str(ARTIFACTS / "console-english.png"))
    finally:
        console.close()
        wall.close()


# the day's figures: on the real clock, cases reported before midnight (Asia/Shanghai) and
# figures read after it would count on different days
@pytest.mark.parametrize("wall_clock", [FIXED_DAY_MS], indirect=True)
def test_kpi_panel_shows_the_hubs_figures(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    d = wall_server.district
    for cam, cat in (("cam-01", "06010"), ("cam-02", "06901"), ("cam-03", "06901")):
        publisher.alert(d, cam, cat, confidence=0.99)
    cases = cases_of(wall_server, 3)
    no = cases[0]["case_no"]
    for action in ("accept", "resolve", "verify", "close"):
        hub_act(wall_server, no, action)
    with wall_server.client() as c:  # the counters follow the change stream: ms behind
        kpis = wait_for(
            lambda: (lambda k: k if k["closed"] == 1 else None)(
                c.get("/api/kpis?by=street").json()["total"]
            ),
            5,
            "the live KPIs to count the closed case",
        )
    assert (kpis["cases"], kpis["closed"]) == (3, 1)
    define_wall(wall_server, "k", {"rows": 1, "cols": 1, "layout": "map+kpi+6"}, {})
    page = open_monitor(browser, wall_server, "k", "0")
    try:
        page.wait_for_function(
            "() => document.querySelector('.panel.kpi .fig b')?.textContent === '3'",
            timeout=WAIT_MS,
        )
        figs = page.eval_on_selector_all(".panel.kpi .fig b", "l => l.map(x => x.textContent)")
        assert figs[:2] == ["3", "1"]
        assert figs[2] == f"{round(kpis['on_time_rate'] * 1000) / 10:g}%"
        page.screenshot(path=str(ARTIFACTS / "wall-kpi-panel.png"))
        # the live stream pushes the new figures: the panel's own refresh is 30 s away
        for action in ("accept", "resolve", "verify"):
            hub_act(wall_server, cases[1]["case_no"], action)
        hub_act(wall_server, cases[1]["case_no"], "close")
        page.wait_for_function(
            "() => document.querySelectorAll('.panel.kpi .fig b')[1]?.textContent === '2'",
            timeout=1000,
        )
    finally:
        page.close()


def test_a_hidden_tile_pauses_and_comes_back(browser: Any, wall_server: WallServer) -> None:
    cams = sorted(wall_server.district.cameras)
    define_wall(
        wall_server,
        "hid",
        {"rows": 1, "cols": 1, "layout": "4"},
        {(0, 0): cams[0], (0, 1): cams[1]},
    )
    page = open_monitor(browser, wall_server, "hid", "0")
    try:
        page.wait_for_function(ALL_LIVE, timeout=20_000)
        peers = len(wall_server.whep.peers)
        assert peers == 2
        sel = f'gw-tile[camera="{cams[0]}"]'
        page.evaluate(f"() => document.querySelector('{sel}').style.display = 'none'")
        page.wait_for_function(f"() => document.querySelector('{sel}').state === 'paused'")
        wait_for(lambda: len(wall_server.whep.peers) == 1, 5, "the hidden tile to hang up")
        other = page.evaluate(
            f"() => document.querySelector('gw-tile[camera=\"{cams[1]}\"]').state"
        )
        assert other == "live"
        page.evaluate(f"() => document.querySelector('{sel}').style.display = ''")
        page.wait_for_function(ALL_LIVE, timeout=20_000)
        assert len(wall_server.whep.peers) == 2
    finally:
        page.close()

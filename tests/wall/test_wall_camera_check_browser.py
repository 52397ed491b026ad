"""Must show, in headless Chromium against the hub: a resolved case the camera could not
verify (its after frame still looks like the alarm frame) shows, in the console's case
detail, the alarm frame and the after frame side by side with the camera's reason, and the
operator sends it back for rework from there."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.topics import TopicKind, topic_for
from tests.hub.fake_edge import REFERENCE, FakeEdge
from tests.wall.conftest import ARTIFACTS, Publisher, WallServer, wait_for
from tests.wall.test_wall_browser import define_wall, jpeg
from tests.wall.test_wall_console_browser import DESK, case, cases_of, hub_act

pytestmark = pytest.mark.integration


def test_console_shows_alarm_and_after_frames_side_by_side(
    browser: Any, wall_server: WallServer, publisher: Publisher, mqtt_url: str, topic_prefix: str
) -> None:
    d = wall_server.district
    assert d.cameras["cam-01"].box_id == "edge-01"  # the box the stand-in answers for
    define_wall(wall_server, "desk", {"rows": 1, "cols": 1, "layout": "4"}, {})
    snap = topic_for(topic_prefix, TopicKind.SNAPSHOT, "edge-01", REFERENCE)
    publisher.client.publish(snap, jpeg(), qos=1).wait_for_publish(5)
    publisher.alert(d, "cam-01", "06010", confidence=0.99, snapshot=jpeg())
    no = cases_of(wall_server, 1)[0]["case_no"]
    edge = FakeEdge("127.0.0.1", int(mqtt_url.rsplit(":", 1)[1]), topic_prefix, ["uncertain"])
    try:
        hub_act(wall_server, no, "accept")
        hub_act(wall_server, no, "resolve")
        wait_for(
            lambda: case(wall_server, no).get("verification") == "human",
            15,
            "the camera's uncertain answer to hand the case to a person",
        )
    finally:
        edge.close()
    after = edge.sent[0].snapshot_id
    assert after
    page = browser.new_page(viewport=DESK)
    try:
        page.goto(wall_server.page_url("/console/?wall=desk"))
        page.locator(f'#cases li.case[data-case-no="{no}"]').click()
        page.locator("#detail .camera-check.decide").wait_for(timeout=8_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('#detail .camera-check img')]"
            ".filter(i => i.complete && i.naturalWidth > 0).length === 2"
        )
        srcs = page.eval_on_selector_all(
            "#detail .camera-check img", "l => l.map(i => i.getAttribute('src'))"
        )
        assert REFERENCE in srcs[0] and after in srcs[1], srcs
        boxes = page.eval_on_selector_all(
            "#detail .camera-check figure", "l => l.map(f => f.getBoundingClientRect().top)"
        )
        assert len(boxes) == 2 and abs(boxes[0] - boxes[1]) < 2, "side by side, one row"
        text = page.locator("#detail .camera-check").inner_text()
        assert "still looks like the alarm frame" in text and "0.03" in text
        page.screenshot(path=str(ARTIFACTS / "console-camera-check.png"), full_page=True)
        page.locator('#detail .actions [data-action="rework"]').click()
        page.wait_for_function("() => document.querySelector('#detail').dataset.state === 'rework'")
    finally:
        page.close()
    assert case(wall_server, no)["state"] == "rework"

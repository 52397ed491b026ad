"""The demo's wall as a newcomer sees it: the cameras that run on the first screen, and the
cameras of boxes never started marked "未启动" (not started), not "信号丢失" and not a fleet
alarm. Headless Chromium against the hub's app; the WHEP stand-in plays only the cameras of
the boxes "started" here, and answers the others 404 as the relay does for a camera it has no
source for."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.codec import encode
from contracts.messages import Availability
from contracts.topics import TopicKind, topic_for
from hub.wall.app import ensure_demo_wall
from tests.wall.conftest import ARTIFACTS, WAIT_MS, Publisher, WallServer, wait_for

pytestmark = pytest.mark.integration

VIEW = {"width": 1920, "height": 1080}
TILE_STATES = """(m) => [...document.querySelectorAll(`.monitor[data-monitor="${m}"] gw-tile`)]
  .map(t => [t.getAttribute('camera'), t.state,
             t.shadowRoot.querySelector('.state').textContent])"""


def cameras_of(srv: WallServer, box: str) -> set[str]:
    return {c for c, cam in srv.district.cameras.items() if cam.box_id == box}


def box_online(publisher: Publisher, box: str) -> None:
    """What a box says first when it connects (its retained availability)."""
    topic = topic_for(publisher.prefix, TopicKind.AVAILABILITY, box)
    payload = encode(Availability(box_id=box, state="online"))
    publisher.client.publish(topic, payload, qos=1).wait_for_publish(5)


def scene_cameras(srv: WallServer) -> list[list[str]]:
    """The cameras of each monitor's tiles, in slot order (panels and empty tiles left out)."""
    with srv.client() as c:
        state = c.get("/api/wall/walls/main").json()["state"]
    return [[t["camera_id"] for t in m["tiles"] if t] for m in state["monitors"]]


def test_demo_wall_shows_running_cameras_first_and_others_not_started(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    running = cameras_of(wall_server, "edge-01")
    wall_server.whep.cameras = set(running)
    wall_server.run(ensure_demo_wall(wall_server.parts.service, running))
    box_online(publisher, "edge-01")
    page = browser.new_page(viewport=VIEW)
    try:
        page.goto(wall_server.page_url("/wall/?wall=main&monitor=0"))
        page.wait_for_function(
            """() => [...document.querySelectorAll('gw-tile[camera]')]
                 .filter(t => t.state === 'live' && t.frames > 2).length === 5""",
            timeout=60_000,
        )
        first = page.evaluate(TILE_STATES, 0)
        assert {cam for cam, state, _ in first if state == "live"} == running
        # the sixth tile: a camera of edge-02, which was never started
        idle = [(cam, state, text) for cam, state, text in first if state != "live"]
        assert len(idle) == 1
        assert idle[0][1:] == ("not_started", "未启动"), idle
        page.wait_for_timeout(1500)  # the clock ticks once on the picture
        page.screenshot(path=str(ARTIFACTS / "wall-demo-first-screen.png"))
        # monitor 1: only never-started boxes, each tile says so; nothing "lost", no alarm
        page.goto(wall_server.page_url("/wall/?wall=main&monitor=1"))
        page.wait_for_function(
            """() => { const t = [...document.querySelectorAll('gw-tile[camera]')];
                 return t.length === 9 && t.every(x => x.state === 'not_started'); }""",
            timeout=20_000,
        )
        assert all(text == "未启动" for _, _, text in page.evaluate(TILE_STATES, 1))
        assert page.locator("#fleet-banner").is_hidden()
        # back on monitor 0: the map's pins of never-started cameras are hollow; then
        # edge-02 starts, and its cameras leave "not started" and play without a backoff wait
        page.goto(wall_server.page_url("/wall/?wall=main&monitor=0"))
        page.wait_for_function(
            "() => document.querySelectorAll('circle.pin.idle').length > 0", timeout=20_000
        )
        idle_pins = page.locator("circle.pin.idle").count()
        assert idle_pins == len(wall_server.district.cameras) - len(running)
        later = cameras_of(wall_server, "edge-02")
        wall_server.whep.cameras |= later
        box_online(publisher, "edge-02")
        cam = idle[0][0]
        assert cam in later
        page.wait_for_function(
            f"() => document.querySelector('gw-tile[camera=\"{cam}\"]').state === 'live'",
            timeout=20_000,
        )
        page.wait_for_function(  # the map asks the hub for its pins at most every 2 s
            f"() => document.querySelectorAll('circle.pin.idle').length === {idle_pins - len(later)}",
            timeout=WAIT_MS,
        )
    finally:
        page.close()


def test_demo_wall_is_laid_out_again_only_when_other_boxes_run(wall_server: WallServer) -> None:
    service = wall_server.parts.service
    edge_01 = cameras_of(wall_server, "edge-01")
    wall_server.run(ensure_demo_wall(service, edge_01))
    first = scene_cameras(wall_server)
    assert set(first[0][:5]) == edge_01
    # the operator puts another camera in a tile; a restart with the same boxes keeps it
    with wall_server.client() as c:
        c.put("/api/wall/walls/main/monitors/1/tiles/0", json={"camera_id": "cam-24"})
    wall_server.run(ensure_demo_wall(service, edge_01))
    assert scene_cameras(wall_server)[1][0] == "cam-24"
    assert scene_cameras(wall_server)[0] == first[0]
    # a restart with another box running lays the wall out for it
    edge_03 = cameras_of(wall_server, "edge-03")
    wall_server.run(ensure_demo_wall(service, edge_03))
    wait_for(lambda: set(scene_cameras(wall_server)[0][:6]) == edge_03, 5, "edge-03 first")

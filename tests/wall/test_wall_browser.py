"""Must-show browser tests of the wall: headless Chromium against the real wall server,
Redis and Mosquitto; alerts arrive as real contract messages over MQTT."""

from __future__ import annotations

import time
from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from tests.wall.conftest import ARTIFACTS, Publisher, WallServer, wait_for

pytestmark = pytest.mark.integration

VIEW = {"width": 1920, "height": 1080}


def jpeg() -> bytes:
    img = np.zeros((180, 320, 3), np.uint8)
    cv2.rectangle(img, (100, 90), (160, 150), (0, 160, 255), -1)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return bytes(buf)


def define_wall(
    srv: WallServer,
    name: str,
    spec: dict[str, Any],
    tiles: dict[tuple[int, int], str],
    layouts: dict[int, str] | None = None,
) -> None:
    with httpx.Client(base_url=srv.url, timeout=10) as c:
        c.put(f"/api/wall/walls/{name}", json=spec).raise_for_status()
        for m, layout in (layouts or {}).items():
            c.put(
                f"/api/wall/walls/{name}/monitors/{m}/layout", json={"layout": layout}
            ).raise_for_status()
        for (m, s), cam in tiles.items():
            c.put(
                f"/api/wall/walls/{name}/monitors/{m}/tiles/{s}", json={"camera_id": cam}
            ).raise_for_status()


TILE_FRAMES = """() => [...document.querySelectorAll('gw-tile[camera]')].map(t => t.frames)"""
ALL_LIVE = """() => { const t = [...document.querySelectorAll('gw-tile[camera]')];
  return t.length > 0 && t.every(x => x.state === 'live' && x.frames > 2); }"""


def open_monitor(browser: Any, srv: WallServer, wall: str, monitor: str) -> Any:
    page = browser.new_page(viewport=VIEW)
    page.goto(f"{srv.url}/wall/?wall={wall}&monitor={monitor}")
    return page


def test_two_by_two_wall_alarm_tile_within_a_second(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    cams = sorted(wall_server.district.cameras)
    define_wall(
        wall_server,
        "w22",
        {"rows": 2, "cols": 2, "layout": "1", "alarm_monitors": [3]},
        {(0, 0): cams[0], (1, 0): cams[1], (2, 0): cams[2], (3, 0): cams[3], (3, 1): cams[4]},
        layouts={3: "4"},
    )
    pages = [open_monitor(browser, wall_server, "w22", str(m)) for m in range(4)]
    try:
        for p in pages:
            p.wait_for_function(ALL_LIVE, timeout=20_000)
        alarm_cam = cams[5]
        cat = wall_server.district.cameras[alarm_cam].zones[0].categories[0]
        t0 = time.monotonic()
        publisher.alert(wall_server.district, alarm_cam, cat, snapshot=jpeg())
        pages[3].wait_for_function(
            "() => document.querySelector('gw-tile[alarm]')", timeout=5_000, polling="raf"
        )
        elapsed = time.monotonic() - t0
        print(f"alarm tile visible {elapsed * 1000:.0f} ms after publish")
        assert elapsed < 1.0, f"alarm tile took {elapsed:.3f}s"
        tile = pages[3].locator("gw-tile[alarm]")
        assert tile.get_attribute("data-slot") == "2"  # the first empty tile of monitor 3
        assert tile.get_attribute("camera") == alarm_cam
        for p in pages[:3]:
            assert p.locator("gw-tile[alarm]").count() == 0
        # live video in the alarm tile, and the countdown running
        pages[3].wait_for_function(
            "() => { const t = document.querySelector('gw-tile[alarm]'); return t.state === 'live' && t.frames > 3; }",
            timeout=10_000,
        )
        left0 = int(tile.get_attribute("data-seconds-left") or "0")
        f0 = tile.evaluate("t => t.frames")
        time.sleep(1.3)
        left1 = int(tile.get_attribute("data-seconds-left") or "0")
        assert left1 < left0, (left0, left1)
        assert tile.evaluate("t => t.frames") > f0
        text = tile.evaluate("t => t.shadowRoot.querySelector('.alarm').innerText")
        assert wall_server.district.categories[cat].name_zh in text
        wait_for(
            lambda: tile.evaluate("t => t.shadowRoot.querySelector('.snap').naturalWidth") > 0,
            5,
            "the snapshot to load",
        )
        for m, p in enumerate(pages):
            p.screenshot(path=str(ARTIFACTS / f"wall-2x2-monitor{m}.png"))
    finally:
        for p in pages:
            p.close()

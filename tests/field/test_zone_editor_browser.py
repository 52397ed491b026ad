"""Must show: a zone drawn in the fleet page reaches the box and changes which grid its alerts
land in; a bad zone (crossing itself, a point outside the frame) is refused with its reason
and the box keeps running the zones it had.

Real parts: headless Chromium on the fleet page, the hub over HTTP with its fleet link, the
broker, Redis, and the edge agent on a synthetic camera with cylinders standing in its
lower left (the truth detector: the rule logic and the delivery are under test here, not
the model).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import shapely
import yaml
from playwright.async_api import Page, async_playwright
from redis.asyncio import Redis

from contracts.topics import TopicKind, topic_for
from edge.agent import Agent
from edge.settings import parse_edge_config
from hub.settings import HubSettings
from tests.chromium import CHROMIUM
from tests.edge.helpers import publish
from tests.field.harness import ARGS, TECH, FieldHub, field_hub

pytestmark = pytest.mark.integration
TOKEN = TECH["Authorization"].removeprefix("Bearer ")

CYLINDERS: dict[str, Any] = {
    "background": "street",
    "duration_s": 3600.0,
    "loop": False,
    "episodes": [
        {
            "kind": "gas_cylinder_stack",
            "start_s": 0.2,
            "end_s": 3600.0,
            "region_norm": [0.12, 0.58, 0.36, 0.82],
            "count": 3,
        }
    ],
}
YARD = [(0.08, 0.52), (0.42, 0.52), (0.42, 0.9), (0.08, 0.9)]  # around the cylinders
BOW_TIE = [(0.6, 0.1), (0.9, 0.4), (0.9, 0.1), (0.6, 0.4)]


def _box_config(district: Path, tmp_path: Path, mqtt_url: str, prefix: str) -> dict[str, Any]:
    cams = yaml.safe_load((district / "cameras.yaml").read_text(encoding="utf-8"))
    cam = next(c for c in cams["cameras"] if c["camera_id"] == "cam-01")
    cam["stream"] = {
        "main": {"kind": "synthetic", "script": CYLINDERS, "seed": 5, "speed": 1.0},
        "resolution_wh": [320, 180],
        "fps": 5,
        "detect_resolution_wh": [320, 180],
        "detect_fps": 5,
    }
    cam["zones"][0]["rules"] = {"cylinder_min_count": 2, "cylinder_hold_s": 0.3}
    return {
        "box_id": "edge-01",
        "mqtt": {"url": mqtt_url, "topic_prefix": prefix},
        "detector": {"backend": "truth"},
        "categories_file": str(district / "categories.yaml"),
        "outbox_path": str(tmp_path / "edge" / "outbox.sqlite"),
        "stats_interval_s": 30.0,
        "pipeline": {"full_scan_s": 0.5, "track_max_age_s": 3.0},
        "cameras": [cam],
    }


async def _alarm_grid(redis: Redis, h: FieldHub, key: str) -> str | None:
    got: Any = await redis.hget(h.rt.keys.alarm(key), "grid_code")
    return got.decode() if isinstance(got, bytes) else got


async def _until(probe: Any, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        got = await probe()
        if got or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.1)


async def _click_norm(page: Page, selector: str, x: float, y: float) -> None:
    await page.locator(selector).scroll_into_view_if_needed()
    box = await page.locator(selector).bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])


async def _click_map(page: Page, lon: float, lat: float) -> None:
    bounds = await page.get_attribute("#ze-map", "data-bounds")
    assert bounds
    w, s, e, n = (float(v) for v in bounds.split())
    await _click_norm(page, "#ze-map", (lon - w) / (e - w), (n - lat) / (n - s))


def _other_grid(h: FieldHub, bounds: list[float], not_code: str) -> tuple[str, float, float]:
    """A basic grid on the editor's map other than ``not_code``: its code and a point well
    inside it (the point the technician clicks)."""
    w, s, e, n = bounds
    best: tuple[float, str, float, float] | None = None
    for f in h.rt.district.raw_geojson["features"]:
        code = f["properties"]["code"]
        poly = shapely.Polygon(f["geometry"]["coordinates"][0])
        inner = poly.buffer(-0.0006)
        if code == not_code or inner.is_empty or f["properties"].get("kind") != "basic":
            continue
        p = inner.representative_point()
        on_map = w < p.x < e and s < p.y < n
        if on_map and h.rt.district.grid_index.locate(p.x, p.y) == code:
            best = max(best or (0.0, "", 0.0, 0.0), (inner.area, code, p.x, p.y))
    assert best is not None, "no other grid on the map"
    return best[1], best[2], best[3]


async def test_a_zone_drawn_in_the_fleet_page_moves_its_alerts_to_the_new_grid(
    hub_settings: HubSettings,
    redis: Redis,
    test_district: Path,
    tmp_path: Path,
    mqtt_url: str,
    topic_prefix: str,
) -> None:
    config = parse_edge_config(
        _box_config(test_district, tmp_path, mqtt_url, topic_prefix), "test", tmp_path, env={}
    )
    agent = Agent(config, tmp_path)
    config_topic = topic_for(topic_prefix, TopicKind.CONFIG, "edge-01")
    async with field_hub(hub_settings) as h:
        await asyncio.to_thread(agent.start)
        try:
            old = h.rt.district.cameras["cam-01"].zones[0].target
            grid_a = h.rt.district.grid_index.locate(old.lon, old.lat)
            assert grid_a
            # before: the box's alerts land in the grid of the zone's old target
            assert await _until(lambda: _alarm_grid(redis, h, "cam-01:ground:06901"), 25) == grid_a
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=CHROMIUM, args=ARGS, headless=True
                )
                try:
                    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                    errors: list[str] = []
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    await page.goto(f"{h.base_url}/fleet#access_token={TOKEN}")
                    await page.click('button.zones[data-camera="cam-01"]', timeout=10_000)
                    await page.wait_for_selector(
                        "#ze-snap[data-source]:not([hidden])", timeout=10_000
                    )
                    assert await page.get_attribute("#ze-snap", "data-source") == "alarm"
                    assert await page.eval_on_selector("#ze-snap", "i => i.naturalWidth") > 0
                    await page.wait_for_selector(f'#ze-grid[data-grid="{grid_a}"]', timeout=5000)

                    # draw a new zone around the cylinders, its target in another grid
                    await page.click("#ze-new")
                    await page.fill("#ze-id", "yard")
                    await page.press("#ze-id", "Tab")
                    # its rule: two cylinders held for 0.3 s (the hub's copy has the defaults)
                    await page.fill("#ze-rule-cylinder_min_count", "2")
                    await page.fill("#ze-rule-cylinder_hold_s", "0.3")
                    await page.press("#ze-rule-cylinder_hold_s", "Tab")
                    for x, y in YARD:
                        await _click_norm(page, "#ze-draw", x, y)
                    bounds = [
                        float(v)
                        for v in (await page.get_attribute("#ze-map", "data-bounds") or "").split()
                    ]
                    grid_b, lon_b, lat_b = _other_grid(h, bounds, grid_a)
                    await _click_map(page, lon_b, lat_b)
                    await page.wait_for_selector(f'#ze-grid[data-grid="{grid_b}"]', timeout=5000)
                    # and the old zone goes
                    await page.click('#ze-zones li[data-zone="0"]')
                    await page.click("#ze-delete")
                    await page.wait_for_selector(
                        '#ze-problems[data-ok="yes"]', state="attached", timeout=5000
                    )
                    await page.click("#ze-push")
                    await page.wait_for_selector('#ze-status[data-state="applied"]', timeout=20_000)
                    applied_id = agent.config_id
                    assert applied_id and applied_id.startswith("zones-")
                    assert [z.zone_id for z in agent.config.cameras[0].zones] == ["yard"]

                    # after: an alert raised on the box now lands in the new grid
                    assert (
                        await _until(lambda: _alarm_grid(redis, h, "cam-01:yard:06901"), 25)
                        == grid_b
                    )

                    # a zone crossing itself: refused by the hub, named, nothing sent
                    await page.click("#ze-new")
                    for x, y in BOW_TIE:
                        await _click_norm(page, "#ze-draw", x, y)
                    await page.wait_for_selector("#ze-problems li", timeout=5000)
                    assert "edge 1–2 crosses edge 3–4" in await page.inner_text("#ze-problems")
                    await page.click("#ze-push")
                    await page.wait_for_selector('#ze-status[data-state="refused"]', timeout=5000)
                    refusal = await page.inner_text("#ze-error")
                    assert "refused" in refusal and "edge 1–2 crosses edge 3–4" in refusal, refusal
                    await page.click("#ze-delete")
                    # a point dragged out of the frame: refused by the hub, named
                    await page.click('#ze-zones li[data-zone="0"]')
                    await page.locator("#ze-draw").scroll_into_view_if_needed()
                    handle = await page.locator('#ze-draw circle[data-v="1"]').bounding_box()
                    stage = await page.locator("#ze-draw").bounding_box()
                    assert handle and stage
                    await page.mouse.move(handle["x"] + 6, handle["y"] + 6)
                    await page.mouse.down()
                    await page.mouse.move(
                        stage["x"] + stage["width"] + 12, handle["y"] + 6, steps=4
                    )
                    await page.mouse.up()
                    await page.wait_for_selector(
                        '#ze-problems li:has-text("outside the frame")', timeout=5000
                    )
                    assert "zone-2" not in await page.inner_text("#ze-zones")  # the bow-tie went
                    await page.click("#ze-push")
                    await page.wait_for_selector(
                        '#ze-error:has-text("outside the frame")', timeout=5000
                    )
                    assert await page.get_attribute("#ze-status", "data-state") == "refused"
                    assert errors == [], errors
                finally:
                    await browser.close()

            # the box still runs the zones it applied
            assert agent.config_id == applied_id
            assert [z.zone_id for z in agent.config.cameras[0].zones] == ["yard"]
            pipe = agent.pipelines["cam-01"]
            frames = pipe.capture.frames
            assert await _until(lambda: _true(pipe.capture.frames > frames + 3), 10)
            # and a bad zone that gets past the hub (a raw config push) is refused by the box
            bad_zone = {
                "zone_id": "yard",
                "name": "yard",
                "polygon_norm": [list(p) for p in BOW_TIE],
                "categories": ["06901"],
                "target": {"lon": lon_b, "lat": lat_b},
            }
            r = await h.http.post(
                "/api/fleet/config",
                json={"boxes": ["edge-01"], "config": {"zones": {"cam-01": [bad_zone]}}},
                headers=TECH,
            )
            assert r.status_code == 202, r.text
            cid = r.json()["config_id"]

            async def rejected() -> dict[str, Any] | None:
                got = (await h.http.get(f"/api/fleet/rollouts/{cid}", headers=TECH)).json()
                entry: dict[str, Any] = got["status"]["edge-01"]
                return entry if entry["status"] == "rejected" else None

            entry = await _until(rejected, 15)
            assert entry and "edge 1–2 crosses edge 3–4" in entry["reason"], entry
            assert agent.config_id == applied_id
            assert h.rt.ctx.zones[("cam-01", "yard")].grid_code == grid_b
        finally:
            await asyncio.to_thread(agent.stop)
            publish(mqtt_url, config_topic, b"", retain=True)


async def _true(value: bool) -> bool:
    return value

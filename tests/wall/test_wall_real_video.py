"""The wall's tiles against hub/video's real relay: synthetic cameras → edge video server →
hub relay (WHEP) → <gw-tile> in headless Chromium. The relay is the video test rig's."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import async_playwright
from redis.asyncio import Redis

from hub.api.auth import Principal
from hub.app import create_app
from hub.district.load import load_district
from hub.video.routes import bearer_token_auth, video_router
from tests.chromium import CHROMIUM
from tests.video.rig import TOKEN, free_port, video_rig, wait_until
from tests.wall.conftest import ARTIFACTS, CHROMIUM_ARGS, Publisher, hub_settings
from tests.wall.test_wall_browser import jpeg

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]
REPO = Path(__file__).resolve().parents[2]
CAMS = ("cam-01", "cam-02", "cam-03", "cam-04", "cam-05", "cam-06")


async def test_tiles_play_the_real_relay(
    redis_url: str, redis_prefix: str, mqtt_url: str, topic_prefix: str
) -> None:
    settings = hub_settings(mqtt_url, redis_url, topic_prefix, redis_prefix)
    async with video_rig(camera_ids=(*CAMS, "cam-07"), fps=8.0) as rig, async_playwright() as pw:
        app = create_app(settings, tokens={TOKEN: Principal("op1", "operator")})
        # the rig's relay ahead of the hub's own (which has no cameras in tests)
        app.router.routes[:0] = video_router(rig.registry, bearer_token_auth(TOKEN)).routes
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        serving = asyncio.create_task(server.serve())
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            await wait_until(lambda: server.started, 10, "wall server started")
            base = f"http://127.0.0.1:{port}"
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(base_url=base, headers=auth, timeout=10) as c:
                (
                    await c.put(
                        "/api/wall/walls/v", json={"rows": 1, "cols": 1, "layout": "map+kpi+6"}
                    )
                ).raise_for_status()
                for s, cam in enumerate(CAMS, start=2):  # slots 0 and 1: map, KPI panel
                    r = await c.put(
                        f"/api/wall/walls/v/monitors/0/tiles/{s}", json={"camera_id": cam}
                    )
                    r.raise_for_status()
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await page.goto(f"{base}/wall/?wall=v&monitor=0&token={TOKEN}")
            await page.wait_for_function(
                "() => { const t = [...document.querySelectorAll('gw-tile[camera]')];"
                " return t.length === 6 && t.every(x => x.state === 'live' && x.frames > 5); }",
                timeout=40_000,
            )
            assert len(rig.registry.sessions) == 6
            f0 = await page.evaluate(
                "() => [...document.querySelectorAll('gw-tile')].map(t => t.frames)"
            )
            t0 = time.monotonic()
            await asyncio.sleep(5)
            f1 = await page.evaluate(
                "() => [...document.querySelectorAll('gw-tile')].map(t => t.frames)"
            )
            rates = [(b - a) / (time.monotonic() - t0) for a, b in zip(f0, f1, strict=True)]
            print(f"real relay: frames/s per tile {[round(r, 1) for r in rates]}")
            assert min(rates) > 3, rates
            # an alarm over MQTT takes the oldest tile, on real video (the README's picture)
            publisher = Publisher(mqtt_url, topic_prefix)
            try:
                district = load_district(settings.district_dir)
                cat = district.cameras["cam-07"].zones[0].categories[-1]
                publisher.alert(district, "cam-07", cat, snapshot=jpeg())
            finally:
                publisher.close()
            await page.wait_for_function(
                "() => { const t = document.querySelector('gw-tile[alarm]');"
                " return t && t.state === 'live' && t.frames > 3; }",
                timeout=25_000,
            )
            await page.wait_for_timeout(1200)
            await page.screenshot(path=str(ARTIFACTS / "wall-real-relay.png"))
            await page.close()
            await wait_until(lambda: not rig.registry.sessions, 15, "relay sessions closed")
        finally:
            await browser.close()
            server.should_exit = True
            await serving
            redis = Redis.from_url(redis_url)
            keys = [k async for k in redis.scan_iter(match=f"{redis_prefix}:*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()

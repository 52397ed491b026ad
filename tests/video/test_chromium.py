"""Debian's Chromium, headless, plays the relay's WHEP stream and decodes its frames."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from playwright.async_api import async_playwright

from tests.video.browser import ARGS, CHROMIUM, PAGE
from tests.video.rig import TOKEN, video_rig, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_chromium_decodes_frames_of_both_renditions() -> None:
    async with video_rig(page_html=PAGE) as rig, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page()
            await page.goto(f"{rig.hub_url}/test-page")
            sub = await page.evaluate("([c, r, t]) => play(c, r, t)", ["cam-01", "sub", TOKEN])
            main = await page.evaluate("([c, r, t]) => play(c, r, t)", ["cam-01", "main", TOKEN])
            got: dict[int, Any] = {}
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                got = {i: await page.evaluate("(i) => stats(i)", i) for i in (sub, main)}
                if all(s.get("framesDecoded", 0) >= 30 for s in got.values()):
                    break
                await asyncio.sleep(0.25)
            assert got[sub]["framesDecoded"] >= 30, got
            assert got[main]["framesDecoded"] >= 30, got
            assert (got[sub]["frameWidth"], got[sub]["frameHeight"]) == (320, 180)
            assert (got[main]["width"], got[main]["height"]) == (640, 360)
            assert "video/VP8" in got[sub]["codecs"]
            assert len(rig.registry.sessions) == 2
            await page.evaluate(
                "async () => { for (const t of window.tiles) {"
                " await fetch(t.location, {method: 'DELETE', headers: {Authorization: 'Bearer "
                + TOKEN
                + "'}}); t.pc.close(); } }"
            )
            await wait_until(lambda: not rig.registry.sessions, 5, "sessions ended by DELETE")
        finally:
            await browser.close()

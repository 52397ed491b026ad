"""A unit named in a 1+1+X command acknowledges it from the responder app (headless Chromium,
phone size): the commander, who is not an assignee, sees the case, taps Acknowledge, and the
case's turnout counts it; the page then shows how many units have acknowledged."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from playwright.async_api import async_playwright
from redis.asyncio import Redis

from hub.settings import HubSettings
from tests.chromium import CHROMIUM
from tests.field.harness import ARGS, field_hub
from tests.hub.conftest import Publisher, wait_for

pytestmark = pytest.mark.integration
CMD = "p-339901001-cmd"


async def test_commander_acknowledges_from_the_app(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher
) -> None:
    async with field_hub(hub_settings) as h, async_playwright() as pw:
        now = int(time.time() * 1000)
        publisher.alert(
            "edge-01",
            camera_id="cam-01",
            category="06901",
            rule="gas_cylinder_stack",
            started_at_ms=now,
            updated_at_ms=now,
        )

        async def one_case() -> str | None:
            nos = await h.rt.store.recent_numbers(5)
            return nos[0] if nos else None

        no = await wait_for(one_case, 20)
        view = await h.rt.store.view(no)
        assert view.facts["joint"]["commander"] == CMD and CMD not in view.assignees
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{h.base_url}/m/#access_token=resp-{CMD}")
            await page.locator(f'a.card[data-case="{no}"]').click(timeout=20_000)
            await page.locator("#joint-ack").click(timeout=20_000)

            async def acked() -> dict[str, Any] | None:
                acks = (await h.rt.store.view(no)).facts.get("joint_acks") or {}
                return acks if CMD in acks else None

            await wait_for(acked, 20)
            # the page draws the count before the ack and again once the case changes: wait
            # for the redraw (it can land after the hub has the ack)
            deadline = time.monotonic() + 20
            shown = ""
            while "1+1+X 1/4" not in shown:
                assert time.monotonic() < deadline, f"the page shows {shown!r}, not 1+1+X 1/4"
                await asyncio.sleep(0.1)
                if await page.locator("#joint-state").count():
                    shown = await page.inner_text("#joint-state")
            assert errors == []
        finally:
            await browser.close()

"""The responder app's patrol report in headless Chromium at phone size: filed while offline
(queued on the phone, nothing on the hub), sent once the phone is back online, one case in the
reporter's grid with the photo's EXIF kept; a fix on the spot closes at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from tests.chromium import BASE_ARGS, CHROMIUM
from tests.hub.conftest import Hub
from tests.intake.conftest import GRID, OTHER, PILE
from tests.intake.jpeg import jpeg

pytestmark = pytest.mark.integration


async def wait_text(page: Page, selector: str, want: str, timeout_s: float = 20) -> str:
    deadline = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < deadline:
        loc = page.locator(selector)
        if await loc.count():
            text = await loc.first.inner_text()
            if want in text:
                return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{selector!r} never showed {want!r} (last: {text!r})")


async def test_patrol_report_offline_then_online(hub: Hub, tmp_path: Path) -> None:
    photo = tmp_path / "pile.jpg"
    photo.write_bytes(jpeg("2026:11:23 08:58:02", PILE[0], PILE[1]))
    after = tmp_path / "after.jpg"
    after.write_bytes(jpeg(size=2500))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
        try:
            ctx = await browser.new_context(
                viewport={"width": 390, "height": 844},
                geolocation={"longitude": PILE[0], "latitude": PILE[1]},
                permissions=["geolocation"],
            )
            page = await ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{hub.base_url}/m/#access_token=other-member-token-0123456")
            await page.click("#new-report")
            await wait_text(page, "#r-where", "位置")
            await page.select_option("#r-category", "06010")
            await page.set_input_files("#r-photos", str(photo))
            await page.fill("#r-note", "路口一堆垃圾")
            await ctx.set_offline(True)
            await page.click("#report-form button[type=submit]")
            await wait_text(page, "#queued", "1 待发送")
            await asyncio.sleep(1.0)
            assert await hub.cases() == []  # still on the phone
            await ctx.set_offline(False)
            await wait_text(page, "#toast", "已上报")

            async def one() -> bool:
                return len(await hub.cases()) == 1

            deadline = time.monotonic() + 20
            while not await one():
                assert time.monotonic() < deadline, "the queued report never reached the hub"
                await asyncio.sleep(0.1)
            (case,) = await hub.cases()
            assert case["case_no"][14] == "2" and case["grid_code"] == GRID
            assert case["state"] == "dispatched" and OTHER not in case["assignees"]
            view = await hub.rt.store.view(case["case_no"])
            assert view.facts["reporter"] == OTHER and view.facts["note"] == "路口一堆垃圾"
            assert view.facts["media"][0]["exif_taken_at"] == "2026:11:23 08:58:02"
            assert await page.locator("#queued").is_hidden()

            # 随手办 online: closed at once
            await page.click("#new-report")
            await wait_text(page, "#r-where", "位置")
            await page.select_option("#r-category", "06036")
            await page.set_input_files("#r-photos", str(photo))
            await page.check("#r-spot")
            await page.set_input_files("#r-after", str(after))
            await page.click("#report-form button[type=submit]")
            deadline = time.monotonic() + 20
            while len(await hub.cases()) < 2:
                toast = await page.locator("#toast").text_content()
                assert time.monotonic() < deadline, (
                    f"the fixed-on-the-spot report never came ({toast!r})"
                )
                await asyncio.sleep(0.1)
            states = sorted(c["state"] for c in await hub.cases())
            assert states == ["closed", "dispatched"]
            assert errors == []
        finally:
            await browser.close()

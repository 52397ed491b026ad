"""The citizens' page in headless Chromium at phone size: a place's printed QR code scanned
to its page, a wrong file
refused by name (nothing stored), a report with a photo into triage, then its progress."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.async_api import Page, async_playwright

from tests.chromium import BASE_ARGS, CHROMIUM
from tests.hub.conftest import OP, Hub
from tests.intake.conftest import GRID
from tests.intake.jpeg import jpeg

pytestmark = pytest.mark.integration


async def wait_text(page: Page, selector: str, want: str, timeout_s: float = 20) -> str:
    deadline = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < deadline:
        text = await page.inner_text(selector)
        if want in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{selector!r} never showed {want!r} (last: {text!r})")


async def test_citizen_reports_from_a_qr_page(hub: Hub, tmp_path: Path) -> None:
    qr = await hub.http.get("/api/intake/place-qr.svg", headers=OP, params={"grid": GRID})
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    not_a_photo = tmp_path / "pile.jpg"
    not_a_photo.write_bytes(b"this is text, not a picture" * 10)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg("2026:11:23 08:58:02", 120.309261, 30.105381))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
        try:
            ctx = await browser.new_context(viewport={"width": 390, "height": 844})
            page = await ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            # the printed code, scanned: its picture decoded to the page's address
            await page.set_content(f"<body style='margin:0'>{qr.text}</body>")
            shot = await page.screenshot()
            picture = cv2.imdecode(np.frombuffer(shot, np.uint8), cv2.IMREAD_COLOR)
            assert picture is not None
            url, _, _ = cv2.QRCodeDetector().detectAndDecode(picture)
            assert url.startswith(f"{hub.base_url}/report/?place=g.{GRID}."), url
            await page.goto(url)
            await wait_text(page, "#place", "Place")
            await page.check('input[name=category][value="06010"]')
            await page.set_input_files("#photo", str(not_a_photo))
            await page.fill("#phone", "13800000000")
            await page.click("#send")
            shown = await wait_text(page, "#result", "is not a JPEG, PNG or WebP image")
            assert "pile.jpg" in shown
            assert await hub.cases() == []
            await page.set_input_files("#photo", str(photo))
            await page.click("#send")
            shown = await wait_text(page, "#result", "Case number")
            no = shown.split("案件编号: ")[1].split(" ")[0]
            assert len(no) == 20 and no[14] == "4"
            rec = await hub.rt.store.record(no)
            assert (rec["state"], rec["grid_code"], rec["source"]) == ("reported", GRID, "public")
            triage = (await hub.http.get("/api/intake/triage", headers=OP)).json()
            assert [c["case_no"] for c in triage] == [no]
            view = await hub.rt.store.view(no)
            assert view.facts["phone"] == "13800000000"
            assert view.facts["media"][0]["exif_taken_at"] == "2026:11:23 08:58:02"
            # the case number is filled in for the look-up
            await page.click("#lookup button")
            await wait_text(page, "#progress", "received, waiting to be checked")
            assert errors == []
        finally:
            await browser.close()

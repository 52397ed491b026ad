"""The responder PWA keeps the open page current from the hub's change stream, which for a
responder carries only their cases: a partner's accept (no push) shows at once, and the
escalation that takes the case off them sends the page back to the list without it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.async_api import async_playwright

from hub.settings import HubSettings
from tests.chromium import CHROMIUM
from tests.field.harness import ARGS, field_hub
from tests.field.test_responder_browser import wait_text
from tests.hub.conftest import Publisher, wait_for

pytestmark = pytest.mark.integration
OP = {"Authorization": "Bearer operator-token-0123456789"}


async def test_open_page_follows_changes_of_my_cases(
    hub_settings: HubSettings, publisher: Publisher
) -> None:
    async with field_hub(hub_settings) as h, async_playwright() as pw:
        now = int(time.time() * 1000)
        publisher.alert("edge-01", started_at_ms=now, updated_at_ms=now)

        async def dispatched() -> list[dict[str, Any]] | None:
            cases = (await h.http.get("/api/cases", headers=OP)).json()
            return cases if cases and cases[0]["state"] == "dispatched" else None

        case = (await wait_for(dispatched, 10))[0]
        no = str(case["case_no"])
        me, partner = case["assignees"]

        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await (await browser.new_context()).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{h.base_url}/m/?access_token=resp-{me}#/case/{no}")
            await wait_text(page, "#case-no", no)
            await wait_text(page, "#state", "待接单")

            # the partner accepts from their phone: no push to me, the page shows it anyway
            act = f"/api/cases/{no}/actions"
            theirs = {"Authorization": f"Bearer resp-{partner}"}
            t0 = time.monotonic()
            r = await h.http.post(act, json={"action": "accept"}, headers=theirs)
            assert r.status_code == 200, r.text
            await wait_text(page, "#state", "已接单", timeout_s=5)
            accept_s = time.monotonic() - t0

            # the operator escalates: the case is the upper tier's now, my page lets go of it
            t1 = time.monotonic()
            r = await h.http.post(act, json={"action": "escalate"}, headers=OP)
            assert r.status_code == 200, r.text
            await wait_text(page, "#toast", "no longer yours", timeout_s=5)
            await wait_text(page, "h3", "我的案件 (0)", timeout_s=5)
            escalate_s = time.monotonic() - t1
            assert await page.locator(f'a.card[data-case="{no}"]').count() == 0
            assert errors == [], errors
            print(
                f"partner's accept on my page {accept_s:.2f} s, escalation away {escalate_s:.2f} s"
            )
        finally:
            await browser.close()

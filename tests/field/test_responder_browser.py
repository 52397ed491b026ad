"""The responder PWA in headless Chromium: my case on the list and map, accept, a wrong photo
refused by name, then on scene and resolve while offline — queued, replayed in order once
the phone reconnects, each action done once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.async_api import Page, async_playwright
from redis.asyncio import Redis

from contracts.messages import ResponderPush
from contracts.topics import TopicKind, topic_for
from hub.settings import HubSettings
from tests.chromium import CHROMIUM
from tests.field.harness import ARGS, Listener, field_hub
from tests.hub.conftest import Publisher

pytestmark = pytest.mark.integration
JPEG = b"\xff\xd8\xff\xe0" + bytes(3000)
PICTURE = bytes(cv2.imencode(".jpg", np.full((36, 64, 3), 128, np.uint8))[1])


async def _ready(value: object) -> bool:
    return bool(value)


async def until(probe: Callable[[], Awaitable[bool]], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        if await probe() or time.monotonic() > deadline:
            return await probe()
        await asyncio.sleep(0.05)


async def wait_text(page: Page, selector: str, want: str, timeout_s: float = 10) -> str:
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


async def pick_photo(page: Page, path: Path) -> None:
    """Choose a photo; a re-render still in flight from the last action may replace the input,
    so choose again until the input on the page holds the file."""
    for _ in range(50):
        await page.set_input_files("#photos", str(path))
        if await page.eval_on_selector("#photos", "e => e.files.length") == 1:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the photo input never kept {path.name}")


async def test_responder_app_offline_queue_and_photo_checks(
    hub_settings: HubSettings,
    redis: Redis,
    publisher: Publisher,
    mqtt_url: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    listener = Listener(mqtt_url, [f"{topic_prefix}/v1/responder/+/push"])
    try:
        async with field_hub(hub_settings) as h, async_playwright() as pw:
            now = int(time.time() * 1000)
            snap = f"sn-{now}"
            publisher.raw(topic_for(publisher.prefix, TopicKind.SNAPSHOT, "edge-01", snap), PICTURE)
            publisher.alert("edge-01", started_at_ms=now, updated_at_ms=now, snapshot_id=snap)
            await until(lambda: _ready(listener.on("/push")), 5)
            push = ResponderPush.model_validate_json(listener.on("/push")[0][2])
            no, person = push.case_no, push.person_id

            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            context = await browser.new_context()
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            urls: list[str] = []
            page.on("request", lambda r: urls.append(r.url))
            # the sign-in link carries the token in its fragment: never sent, never logged
            await page.goto(f"{h.base_url}/m/#access_token=resp-{person}")
            await wait_text(page, f'a.card[data-case="{no}"]', no)
            assert f"resp-{person}" not in page.url
            assert (
                await page.locator(f'svg.map path[data-code="{push.grid_code}"].mine').count() == 1
            )
            assert await page.locator(f'svg.map circle[data-case="{no}"]').count() == 1
            manifest = await page.evaluate(
                "() => document.querySelector('link[rel=manifest]').href"
            )
            assert manifest.endswith("/m/manifest.webmanifest")
            worker = await page.evaluate(
                "async () => (await navigator.serviceWorker.ready).active.scriptURL"
            )
            assert worker.endswith("/m/sw.js")

            await page.click(f'a.card[data-case="{no}"]')
            await wait_text(page, "#case-no", no)
            loaded = "() => { const i = document.querySelector('img.snap'); return i && i.complete && i.naturalWidth }"
            assert await until(lambda: page.evaluate(loaded), 5), "the case's snapshot did not load"
            assert "剩余" in await page.inner_text(".due")  # the deadline counts down
            await page.click('button[data-action="accept"]')
            await wait_text(page, "#state", "已接单")

            async def accepted() -> bool:
                return (await h.rt.store.view(no)).state == "accepted"

            assert await until(accepted, 10)

            bad = tmp_path / "after.gif"
            bad.write_bytes(b"GIF89a" + bytes(100))
            await pick_photo(page, bad)
            await page.click('button[data-action="resolve"]')
            await wait_text(page, "#last-error", "after.gif: 只收 JPEG/PNG/WebP")

            await context.set_offline(True)
            await page.click('button[data-action="start"]')
            good = tmp_path / "after.jpg"
            good.write_bytes(JPEG)
            await pick_photo(page, good)
            await page.click('button[data-action="resolve"]')
            await wait_text(page, "#queued", "2 待发送")
            view = await h.rt.store.view(no)
            assert view.state == "accepted"  # nothing reached the hub while offline

            await context.set_offline(False)
            await page.evaluate("() => dispatchEvent(new Event('online'))")

            async def resolved() -> bool:
                return (await h.rt.store.view(no)).state == "resolved"

            await until(resolved, 15)
            events = [e.action for e in await h.rt.store.events(no)]
            assert events[-3:] == ["accept", "start", "resolve"], events
            assert events.count("start") == 1 and events.count("resolve") == 1
            await wait_text(page, "#state", "已处置")
            assert await page.locator("#queued").is_hidden()
            assert errors == [], errors
            assert [u for u in urls if f"resp-{person}" in u] == [], "a token went into a URL"
            await browser.close()
    finally:
        listener.close()

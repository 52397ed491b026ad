"""Must show: a box that stops its heartbeat raises a fleet alarm within the timeout (and on
the wall's change stream); a config that breaks the box is rolled back by its supervisor and
reported; a good one is acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright
from redis.asyncio import Redis

from contracts.codec import encode
from contracts.messages import BoxStats, CameraStats
from contracts.topics import TopicKind, topic_for
from edge.supervise import Supervisor
from hub.fleet.settings import FleetSettings
from hub.settings import HubSettings
from tests.chromium import CHROMIUM
from tests.edge.helpers import box_config, camera, publish, write_config
from tests.field.harness import ARGS, TECH, field_hub
from tests.hub.conftest import Publisher

pytestmark = pytest.mark.integration
BOX = "edge-04"  # sorts after boxes that are never offline: the page lists offline first


def heartbeat(box: str, cams: list[str], down: str = "") -> BoxStats:
    return BoxStats(
        box_id=box,
        sent_ms=int(time.time() * 1000),
        uptime_s=5.0,
        software_version="0.1.0",
        model_version="det-320",
        cpu_percent=12.0,
        cpu_temp_c=48.5,
        mem_used_bytes=10,
        disk_free_bytes=10**10,
        outbox_depth=0,
        cameras=tuple(
            CameraStats(
                camera_id=c,
                state="offline" if c == down else "online",
                capture_fps=10.0,
                detect_fps=5.0,
                skipped_frames=0,
                inference_ms=14.0,
                queue_depth=0,
            )
            for c in cams
        ),
    )


async def poll(probe: Any, timeout_s: float, step_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        got = await probe()
        if got or time.monotonic() > deadline:
            return got
        await asyncio.sleep(step_s)


async def test_silent_box_raises_a_fleet_alarm_within_the_timeout(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher, topic_prefix: str
) -> None:
    settings = hub_settings.model_copy(
        update={"fleet": FleetSettings(heartbeat_timeout_s=2.0, check_interval_s=0.2)}
    )
    stats_topic = topic_for(topic_prefix, TopicKind.STATS, BOX)
    async with field_hub(settings) as h:
        cams_of = sorted(c.camera_id for c in h.rt.district.cameras.values() if c.box_id == BOX)

        async def alarms() -> list[dict[str, Any]]:
            return list((await h.http.get("/api/fleet/alarms", headers=TECH)).json())

        async with fleet_page(h.base_url) as page:
            await page.wait_for_selector(f'tr[data-box="{BOX}"]', timeout=10_000)
            for _ in range(4):
                await asyncio.sleep(0.25)
                publisher.raw(stats_topic, encode(heartbeat(BOX, cams_of)))
            last_beat = time.monotonic()  # the broker has acknowledged the last heartbeat
            fleet_now = (await h.http.get("/api/fleet", headers=TECH)).json()
            boxes = {b["box_id"]: b for b in fleet_now}
            assert boxes[BOX]["state"] == "online"
            assert boxes[BOX]["stats"]["cpu_temp_c"] == 48.5
            cams = {c["camera_id"]: c for c in boxes[BOX]["cameras"]}
            assert cams[cams_of[0]]["ok"] and cams[cams_of[0]]["inference_ms"] == 14.0
            assert not [a for a in await alarms() if a["box_id"] == BOX]

            raised = await poll(
                lambda: _box_alarm(alarms, f"box:{BOX}"), timeout_s=2.0 + 0.2 + 1.5, step_s=0.02
            )
            elapsed = time.monotonic() - last_beat
            assert raised, "no fleet alarm for the silent box"
            assert 1.95 <= elapsed <= 2.0 + 0.2 + 1.0, f"alarm after {elapsed:.2f} s"
            assert "no heartbeat" in raised["reason"]
            # the open page shows it from the change stream, not its 10 s poll
            await page.wait_for_selector(f'.alarm[data-key="box:{BOX}"]', timeout=1500)
            page_s = time.monotonic() - last_beat
            row = await page.inner_text(f'tr[data-box="{BOX}"]')
            assert "offline" in row and "0.1.0 / det-320" in row and "48.5" in row, row
            first = await page.get_attribute("#boxes tr:first-child", "data-box")
            assert first == BOX, "offline boxes come first"
            assert "since" in await page.inner_text(f'.alarm[data-key="box:{BOX}"]')
        wall: Any = await redis.xrange(h.rt.keys.changes)
        fleet = [
            f
            for _, f in wall
            if f[b"kind"] == b"fleet" and f[b"alarm_key"] == f"box:{BOX}".encode()
        ]
        assert len(fleet) == 1  # raised once, on the stream the wall follows

        publisher.raw(stats_topic, encode(heartbeat(BOX, cams_of, down=cams_of[0])))
        cam = await poll(lambda: _box_alarm(alarms, f"camera:{BOX}:{cams_of[0]}"), 3.0)
        assert cam and not await _box_alarm(alarms, f"box:{BOX}")  # box back, camera down
        print(f"heartbeat timeout 2.0 s: alarm after {elapsed:.2f} s, on the page {page_s:.2f} s")


@contextlib.asynccontextmanager
async def fleet_page(base: str) -> AsyncIterator[Page]:
    """The fleet page a technician opens; a wrong token is refused on the page by name."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            wrong = await browser.new_page()
            await wrong.goto(f"{base}/fleet?access_token=not-a-token")
            await wrong.wait_for_selector("#error:not([hidden])", timeout=10_000)
            assert "401 missing or unknown bearer token" in await wrong.inner_text("#error")
            await wrong.close()
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{base}/fleet?access_token=tech-token-0123456789abc")
            yield page
            assert errors == [], errors
        finally:
            await browser.close()


async def _box_alarm(alarms: Any, key: str) -> dict[str, Any] | None:
    return next((a for a in await alarms() if a["key"] == key), None)


async def test_breaking_config_is_rolled_back_and_a_good_one_applied(
    hub_settings: HubSettings, redis: Redis, mqtt_url: str, topic_prefix: str, tmp_path: Path
) -> None:
    cam = camera(
        "cam-s1",
        {"kind": "synthetic", "preset": "street_corner", "seed": 1},
        box_id="edge-t1",
        fps=2,
        detect_fps=1,
    )
    body = box_config(
        tmp_path, mqtt_url, topic_prefix, [cam], box_id="edge-t1", stats_interval_s=1.0
    )
    cfg = write_config(tmp_path, body)
    # a pushed config is the box's whole config (the box keeps its own id)
    whole = {k: v for k, v in body.items() if k != "box_id"}
    sup = Supervisor(cfg, settle_s=3.0)
    thread = threading.Thread(target=sup.run, daemon=True)
    async with field_hub(hub_settings) as h:
        thread.start()
        try:

            async def online() -> bool:
                boxes = (await h.http.get("/api/fleet", headers=TECH)).json()
                return any(b["box_id"] == "edge-t1" and b["state"] == "online" for b in boxes)

            assert await poll(online, 20), "the supervised agent never came online"
            bad = {
                "boxes": ["edge-t1"],
                "config": whole | {"outbox_path": "/dev/null/outbox.sqlite"},
            }
            r = await h.http.post("/api/fleet/config", json=bad, headers=TECH)
            assert r.status_code == 202, r.text
            cid = r.json()["config_id"]

            async def status(config_id: str, want: str) -> dict[str, Any] | None:
                got = (await h.http.get(f"/api/fleet/rollouts/{config_id}", headers=TECH)).json()
                entry: dict[str, Any] = got["status"]["edge-t1"]
                return entry if entry["status"] == want else None

            rolled = await poll(lambda: status(cid, "rolled_back"), 25, 0.2)
            assert rolled, "the breaking config was not rolled back"
            assert "exited with code" in rolled["reason"], rolled
            assert sup.state["bad"] == [cid]
            assert sup.child is not None and sup.child.poll() is None  # running the good config

            good_path = str(tmp_path / "outbox-2.sqlite")
            good = {"boxes": ["edge-t1"], "config": whole | {"outbox_path": good_path}}
            cid2 = (await h.http.post("/api/fleet/config", json=good, headers=TECH)).json()[
                "config_id"
            ]
            applied = await poll(lambda: status(cid2, "applied"), 25, 0.2)
            last = (await h.http.get(f"/api/fleet/rollouts/{cid2}", headers=TECH)).json()
            assert applied, f"good config not applied: {last}"

            async def kept() -> bool:
                return bool(sup.state["good"] == cid2)

            assert await poll(kept, 10), "the supervisor did not keep the settled config"
            assert (tmp_path / "outbox-2.sqlite").exists()
        finally:
            sup.stop_event.set()
            thread.join(20)
            publish(
                mqtt_url, topic_for(topic_prefix, TopicKind.CONFIG, "edge-t1"), b"", retain=True
            )

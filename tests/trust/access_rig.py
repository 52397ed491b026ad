"""A hub app on the real Redis and Mosquitto, called in-process (httpx's ASGI transport, so a
test sees how much of a request body the hub read), and a camera case with a snapshot."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from contracts.topics import TopicKind, topic_for
from hub.app import create_app
from hub.domain.clock import SystemClock
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from tests.field.harness import tokens_for
from tests.hub.conftest import Publisher

TECH = {"Authorization": "Bearer tech-token-0123456789abc"}
JPEG = b"\xff\xd8\xff\xe0" + bytes(2000)


def bearer(person: str) -> dict[str, str]:
    return {"Authorization": f"Bearer resp-{person}"}


@dataclass
class AccessHub:
    rt: HubRuntime
    app: FastAPI
    http: httpx.AsyncClient

    async def camera_case(self, publisher: Publisher, box: str = "edge-01") -> dict[str, Any]:
        """Publish a snapshot and a sure alert from cam-01; the case it became (detail)."""
        now = int(time.time() * 1000)
        snap = f"sn-{uuid.uuid4().hex[:12]}"
        publisher.raw(topic_for(publisher.prefix, TopicKind.SNAPSHOT, box, snap), JPEG)
        publisher.alert(box, started_at_ms=now, updated_at_ms=now, snapshot_id=snap)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cases = (await self.http.get("/api/cases", headers=TECH)).json()
            if cases:
                no = cases[0]["case_no"]
                detail: dict[str, Any] = (
                    await self.http.get(f"/api/cases/{no}", headers=TECH)
                ).json()
                if detail["facts"].get("snapshot_id") == snap:
                    return detail
            await asyncio.sleep(0.05)
        raise AssertionError("no case within 10 s of the alert")

    def outsider(self, case: dict[str, Any]) -> str:
        """A responder of the district who is not on ``case``."""
        on = set(case["people"]) | set(case["assignees"])
        return next(p.person_id for p in self.rt.district.people if p.person_id not in on)


@contextlib.asynccontextmanager
async def access_hub(
    settings: HubSettings, client: tuple[str, int] = ("127.0.0.1", 5000)
) -> AsyncIterator[AccessHub]:
    rt = HubRuntime(settings, clock=SystemClock(), timer_loop=False)
    await rt.start()
    people = [p.person_id for p in rt.district.people]
    app = create_app(settings, runtime=rt, tokens=tokens_for(settings, people))
    transport = httpx.ASGITransport(app=app, client=client)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub.test", timeout=10
        ) as http:
            yield AccessHub(rt, app, http)
    finally:
        await rt.stop()

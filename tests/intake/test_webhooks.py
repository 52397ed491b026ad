"""Status back to 12345 by a signed webhook per source: a real HTTP receiver (uvicorn) checks
each delivery's signature by the scheme in docs/intake.md; deliveries queued while it is down
survive a hub restart and arrive once it is back; a receiver that keeps failing gets them
dead-lettered, visibly; a missing secret stops the hub at start."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from pydantic import ValidationError
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.app import create_app
from hub.domain.clock import FakeClock
from hub.settings import HubSettings
from hub.webhooks.service import WebhookConfigError, for_runtime, load_secrets
from hub.webhooks.settings import WebhookSettings
from tests.hub.conftest import MONDAY_9, OP, Hub, free_port, running_hub, wait_for
from tests.intake.conftest import INTAKE_TOKENS, PILE

pytestmark = pytest.mark.integration
SECRET = "hotline-secret-0123456789-abcdefghij"
ENV = "GW_TEST_HOOK_SECRET"


class Receiver:
    """12345's end: verifies the signature and the timestamp as a receiving system would."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.got: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.port = free_port()
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        ts = request.headers.get("X-Gridwall-Timestamp", "")
        sig = request.headers.get("X-Gridwall-Signature", "")
        mac = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sig, f"v1={mac}") or abs(time.time() - int(ts)) > 300:
            self.refused.append(sig)
            return Response(status_code=401)
        if self.status == 200:
            got = json.loads(body)
            assert got["delivery"] == request.headers["X-Gridwall-Delivery"]
            self.got.append(got)
        return Response(status_code=self.status)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Receiver]:
        app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])
        cfg = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(cfg)
        self.task = asyncio.create_task(self.server.serve())
        try:
            await wait_for(lambda: _started(self.server), 10)
            yield self
        finally:
            self.server.should_exit = True
            await self.task


async def _started(server: uvicorn.Server | None) -> bool:
    return bool(server and server.started)


def with_hook(settings: HubSettings, url: str, **kw: Any) -> HubSettings:
    hook = WebhookSettings(source="hotline", system="12345", url=url, secret_env=ENV, **kw)
    return settings.model_copy(
        update={"intake": settings.intake.model_copy(update={"webhooks": [hook]})}
    )


@contextlib.asynccontextmanager
async def hub_with_hooks(settings: HubSettings, clock: FakeClock) -> AsyncIterator[Hub]:
    """A running hub and its webhook service, as the app's lifespan starts them."""
    async with running_hub(settings, clock=clock, tokens=INTAKE_TOKENS, timeout_s=20) as hub:
        hooks = for_runtime(hub.rt)
        await hooks.start()
        try:
            yield hub
        finally:
            await hooks.stop()


async def import_one(hub: Hub, ref: str) -> str:
    rec = {"external_ref": ref, "category": "06010", "lon": PILE[0], "lat": PILE[1]}
    body = {"source": "hotline", "system": "12345", "records": [rec]}
    r = await hub.http.post("/api/intake/import", headers=OP, json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["records"][0]["case_no"])


async def status(hub: Hub) -> dict[str, Any]:
    r = await hub.http.get("/api/intake/webhooks", headers=OP)
    assert r.status_code == 200, r.text
    [one] = r.json()
    return dict(one)


async def test_down_receiver_gets_every_change_after_a_restart(
    hub_settings: HubSettings, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, SECRET)
    receiver = Receiver()
    settings = with_hook(hub_settings, receiver.url, backoff_s=30, max_attempts=5)
    clock = FakeClock(MONDAY_9)
    async with hub_with_hooks(settings, clock) as hub:  # the receiver is down
        no = await import_one(hub, "H-0001")
        states = [e.to_state for e in await hub.rt.store.events(no)]

        async def all_failed_once() -> bool:
            s = await status(hub)
            return bool(s["pending"] == len(states) and s["failed_attempts"] >= len(states))

        await wait_for(all_failed_once, 10)
        s = await status(hub)
        assert "ConnectError" in s["last_error"] and s["delivered"] == 0, s
    # the hub stops with the deliveries queued; it starts again, and so does the receiver
    clock.advance(seconds=31)
    async with receiver.running(), hub_with_hooks(settings, clock) as hub:
        await wait_for(lambda: _count(receiver, len(states)), 10)
        assert [g["state"] for g in receiver.got] == states
        assert {g["external_ref"] for g in receiver.got} == {"H-0001"}
        assert {g["case_no"] for g in receiver.got} == {no}
        assert len({g["delivery"] for g in receiver.got}) == len(states)
        # the next status change goes at once
        r = await hub.http.post(f"/api/cases/{no}/actions", headers=OP, json={"action": "accept"})
        assert r.status_code == 200, r.text
        await wait_for(lambda: _count(receiver, len(states) + 1), 10)
        assert receiver.got[-1]["state"] == "accepted"
        note = {"action": "note", "note": "no change of state"}
        assert (await hub.http.post(f"/api/cases/{no}/actions", headers=OP, json=note)).is_success
        s = await status(hub)
        assert (s["pending"], s["delivered"], s["dead"]) == (0, len(states) + 1, 0), s
        assert receiver.refused == []
        await asyncio.sleep(0.5)
        assert len(receiver.got) == len(states) + 1  # the note sent nothing, nothing twice


async def _count(receiver: Receiver, n: int) -> bool:
    return len(receiver.got) >= n


async def test_a_failing_receiver_gets_deliveries_dead_lettered(
    hub_settings: HubSettings, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, SECRET)
    receiver = Receiver(status=500)
    settings = with_hook(hub_settings, receiver.url, backoff_s=1, max_attempts=2)
    clock = FakeClock(MONDAY_9)
    async with receiver.running(), hub_with_hooks(settings, clock) as hub:
        no = await import_one(hub, "H-0002")
        n = len(await hub.rt.store.events(no))

        async def failed(k: int) -> bool:
            return int((await status(hub))["failed_attempts"]) >= k

        await wait_for(lambda: failed(n), 10)
        clock.advance(seconds=2)
        await wait_for(lambda: failed(2 * n), 10)
        s = await status(hub)
        assert (s["pending"], s["dead"], s["delivered"]) == (0, n, 0), s
        assert "HTTP 500" in s["last_error"]
        dead = (await hub.http.get("/api/intake/webhooks/dead", headers=OP)).json()
        assert len(dead) == n and {d["attempts"] for d in dead} == {2}
        assert {json.loads(d["body"])["case_no"] for d in dead} == {no}
        assert receiver.refused == []  # every attempt was signed right


def test_webhook_settings_are_checked_at_start(
    hub_settings: HubSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    settings = with_hook(hub_settings, "http://127.0.0.1:9/hook")
    with pytest.raises(WebhookConfigError, match=rf"webhooks\[0\] \(hotline:12345\): \${ENV}"):
        create_app(settings, tokens=INTAKE_TOKENS)
    with pytest.raises(WebhookConfigError, match="is 5 characters"):
        load_secrets(settings.intake.webhooks, {ENV: "short"})
    with pytest.raises(ValidationError, match="must start with https:// or http://"):
        WebhookSettings(source="hotline", url="ftp://x", secret_env=ENV)
    hook = {"source": "hotline", "url": "https://x", "secret_env": ENV}
    with pytest.raises(ValidationError, match="'hotline:12345' is listed twice"):
        type(hub_settings.intake).model_validate({"webhooks": [hook, hook]})

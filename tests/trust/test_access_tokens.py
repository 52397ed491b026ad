"""Item 8: no token in a URL is accepted (they end up in access logs); streams and pictures
take a short-lived, single-purpose signed ticket instead; the access log keeps no
credential; failed logins are limited per client and per identity (300 wrong tokens, then
a valid one, from one client: refused)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis

from hub.api.auth import Principal
from hub.settings import HubSettings
from tests.hub.conftest import redis
from tests.trust.access_rig import JPEG, TECH, access_hub, bearer

pytestmark = pytest.mark.integration
__all__ = ["redis"]
OP = {"Authorization": "Bearer operator-token-0123456789"}
OP_TOKEN = "operator-token-0123456789"


async def _ticket(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    r = await http.post("/api/tickets", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert 0 < body["ttl_s"] <= 600
    return str(body["ticket"])


async def test_no_tokens_in_urls_tickets_instead(hub_settings: HubSettings, redis: Redis) -> None:
    async with access_hub(hub_settings) as h:
        await redis.set(h.rt.keys.snapshot("sn-trust-0001"), JPEG)
        snap = "/api/snapshots/sn-trust-0001"
        assert (await h.http.get(snap, headers=OP)).content == JPEG
        for path in (snap, "/api/cases", "/api/stream"):
            r = await h.http.get(path, params={"access_token": OP_TOKEN})
            assert r.status_code == 401 and "not accepted in URLs" in r.text, (path, r.text)

        ticket = await _ticket(h.http, OP)
        assert (await h.http.get(snap, params={"ticket": ticket})).content == JPEG
        # single purpose: streams and pictures only, GET only
        r = await h.http.get("/api/cases", params={"ticket": ticket})
        assert r.status_code == 401, r.text
        r = await h.http.post("/api/tickets", params={"ticket": ticket})
        assert r.status_code == 401, r.text
        # short-lived and signed
        tickets = h.app.state.tickets
        old, _ = tickets.issue(Principal("op1", "operator"), int(time.time() * 1000) - 3_600_000)
        assert (await h.http.get(snap, params={"ticket": old})).status_code == 401
        sig = ticket.partition(".")[2]
        forged = tickets.issue(Principal("admin", "admin"), int(time.time() * 1000))[0]
        tampered = f"{forged.partition('.')[0]}.{sig}"
        assert (await h.http.get(snap, params={"ticket": tampered})).status_code == 401
        # a responder's ticket carries the responder's scope
        person = h.rt.district.people[0].person_id
        mine = await _ticket(h.http, bearer(person))
        assert (await h.http.get(snap, params={"ticket": mine})).status_code == 404


async def test_failed_logins_limited_per_client_and_identity(
    hub_settings: HubSettings, redis: Redis
) -> None:
    async with access_hub(hub_settings, client=("10.0.0.7", 40000)) as h:
        codes = [
            (
                await h.http.get("/api/cases", headers={"Authorization": f"Bearer guess-{i:06d}"})
            ).status_code
            for i in range(300)
        ]
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
        r = await h.http.get("/api/cases", headers=TECH)  # the right token, from that client
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        # another client is not held up
        other = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=h.app, client=("10.0.0.8", 40000)),
            base_url="http://hub.test",
        )
        async with other:
            assert (await other.get("/api/cases", headers=TECH)).status_code == 200
            genuine = await _ticket(other, TECH)
        # tickets forged in one identity's name, from many clients: that identity is held
        body = h.app.state.tickets.issue(Principal("tech", "technician"), 0)[0].partition(".")[0]
        for i in range(12):
            spoof = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=h.app, client=(f"10.1.0.{i}", 40000)),
                base_url="http://hub.test",
            )
            async with spoof:
                await spoof.get("/api/stream", params={"ticket": f"{body}.bad-signature-{i}"})
        await redis.set(h.rt.keys.snapshot("sn-trust-0002"), JPEG)
        fresh = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=h.app, client=("10.2.0.1", 40000)),
            base_url="http://hub.test",
        )
        async with fresh:
            r = await fresh.get("/api/snapshots/sn-trust-0002", params={"ticket": genuine})
            assert r.status_code == 429, r.text


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())  # after the logger's own filters ran


async def test_access_log_keeps_no_credential(hub_settings: HubSettings, redis: Redis) -> None:
    async with access_hub(hub_settings) as h:
        ticket = await _ticket(h.http, OP)
        server = uvicorn.Server(
            uvicorn.Config(h.app, host="127.0.0.1", port=0, lifespan="off", log_level="info")
        )
        task = asyncio.create_task(server.serve())
        captured = Captured()
        access = logging.getLogger("uvicorn.access")
        access.addHandler(captured)
        try:
            for _ in range(500):
                if server.started:
                    break
                await asyncio.sleep(0.02)
            port = server.servers[0].sockets[0].getsockname()[1]
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
                await c.get("/api/cases", params={"access_token": OP_TOKEN})
                await c.get("/wall/", params={"wall": "main", "token": OP_TOKEN})
                await c.get("/api/snapshots/sn-none", params={"ticket": ticket})
            await asyncio.sleep(0.1)
        finally:
            access.removeHandler(captured)
            server.should_exit = True
            await task
        text = "\n".join(captured.lines)
        assert len(captured.lines) >= 3, captured.lines
        assert OP_TOKEN not in text and ticket not in text, text
        assert "access_token=[redacted]" in text and "ticket=[redacted]" in text

"""A hub with the field services running, served over real HTTP, for the field tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import paho.mqtt.client as mqtt
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion

from hub.api.auth import Principal
from hub.app import create_app
from hub.domain.clock import Clock, SystemClock
from hub.fleet.wiring import FieldServices
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from tests.chromium import BASE_ARGS

TECH = {"Authorization": "Bearer tech-token-0123456789abc"}
ARGS = list(BASE_ARGS)


def tokens_for(settings: HubSettings, people: list[str]) -> dict[str, Principal]:
    out = {
        "tech-token-0123456789abc": Principal("tech", "technician"),
        "operator-token-0123456789": Principal("op1", "operator"),
    }
    for p in people:
        out[f"resp-{p}"] = Principal(p, "responder", p)
    return out


@dataclass
class FieldHub:
    rt: HubRuntime
    field: FieldServices
    http: httpx.AsyncClient
    base_url: str


@contextlib.asynccontextmanager
async def field_hub(settings: HubSettings, clock: Clock | None = None) -> AsyncIterator[FieldHub]:
    rt = HubRuntime(settings, clock=clock or SystemClock(), timer_loop=False)
    await rt.start()
    people = [p.person_id for p in rt.district.people]
    app = create_app(settings, runtime=rt, tokens=tokens_for(settings, people))
    field = FieldServices(rt)
    await field.start(app)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            yield FieldHub(rt, field, client, base)
    finally:
        server.should_exit = True
        await task
        await field.stop()
        await rt.stop()


class Listener:
    """Records messages on topic filters of the shared broker, with arrival times."""

    def __init__(self, url: str, topics: list[str]) -> None:
        self.got: list[tuple[float, str, bytes]] = []
        self._lock = threading.Lock()
        self.ready = threading.Event()
        parts = urlsplit(url)
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)

        def on_connect(c: mqtt.Client, *_a: Any) -> None:
            c.subscribe([(t, 1) for t in topics])

        self.c.on_connect = on_connect
        self.c.on_subscribe = lambda *_a: self.ready.set()
        self.c.on_message = self._on_message
        self.c.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
        self.c.loop_start()
        self.ready.wait(5)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        import time

        with self._lock:
            self.got.append((time.monotonic(), msg.topic, bytes(msg.payload)))

    def on(self, fragment: str) -> list[tuple[float, str, bytes]]:
        with self._lock:
            return [m for m in self.got if fragment in m[1]]

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()

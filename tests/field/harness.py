"""A hub with the field services running, served over real HTTP, for the field tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import paho.mqtt.client as mqtt
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion
from redis.asyncio import Redis

from contracts.messages import ResponderPush
from hub.api.auth import Principal
from hub.app import create_app
from hub.domain.clock import Clock, SystemClock
from hub.fleet.wiring import FieldServices
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from tests.chromium import BASE_ARGS

TECH = {"Authorization": "Bearer tech-token-0123456789abc"}
ARGS = list(BASE_ARGS)
T = TypeVar("T")


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
        with self._lock:
            self.got.append((time.monotonic(), msg.topic, bytes(msg.payload)))

    def on(self, fragment: str) -> list[tuple[float, str, bytes]]:
        with self._lock:
            return [m for m in self.got if fragment in m[1]]

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


async def until(probe: Callable[[], T], timeout_s: float) -> T:
    """Polls ``probe`` until it gives something truthy or ``timeout_s`` passes; its last answer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = probe()
        if got:
            return got
        await asyncio.sleep(0.01)
    return probe()


async def until_async(probe: Callable[[], Awaitable[bool]], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        if await probe():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)


def pushes(listener: Listener) -> list[ResponderPush]:
    """The pushes a listener on ``{prefix}/v1/responder/#`` got, markers left out."""
    return [
        ResponderPush.model_validate_json(m[2])
        for m in listener.on("/push")
        if "zz-marker" not in m[1]
    ]


async def caught_up(h: FieldHub, redis: Redis) -> bool:
    """The fan-out has handled every change so far (none pending, the last delivered)."""
    groups: Any = await redis.xinfo_groups(h.rt.keys.changes)
    last: Any = await redis.xrevrange(h.rt.keys.changes, count=1)
    g = next(x for x in groups if x["name"] in (b"push", "push"))
    return bool(g["pending"] == 0 and g["last-delivered-id"] == last[0][0])


async def flushed(
    h: FieldHub, redis: Redis, listener: Listener, topic_prefix: str, tag: str
) -> None:
    """Every push for the changes so far has arrived: the fan-out has caught up, and a
    marker through the same push client comes after its pushes (the broker keeps one
    sender's order). ``listener`` must follow ``{prefix}/v1/responder/#``.

    The pushes of one change go out together but arrive apart (one PUBACK wait each), so
    the first push to arrive says nothing about the others: wait for this instead."""
    deadline = time.monotonic() + 5
    while not await caught_up(h, redis):
        assert time.monotonic() < deadline, "the push fan-out did not catch up in 5 s"
        await asyncio.sleep(0.02)
    assert h.field.mqtt_push is not None
    h.field.mqtt_push.client.publish(f"{topic_prefix}/v1/responder/zz-marker/{tag}", b"{}", qos=1)
    assert await until(lambda: listener.on(f"zz-marker/{tag}"), 5), f"marker {tag} never came"

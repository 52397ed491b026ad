"""A box behind NAT on a site broker bridged to the central broker (hub.enrol.site_bridge).

Real parts: the central Mosquitto with the hub's per-box logins and ACL, a site Mosquitto
rendered by ``site_bridge`` (one bridge per box, logging in as the box), the box's own MQTT
layer (``edge.mqtt_link`` with its on-disk outbox) on the site broker, and a real hub (with
its fleet service) on the central one. Between the site and the central broker runs a TCP
relay the test can cut, as a site's uplink goes down. Must show: the box's alerts arrive as
cases; a config pushed from the hub reaches the box; with the uplink cut, what the box sends
is acknowledged by the site broker, waits there, and every event reaches the hub's Redis when
the uplink is back; a config pushed while it was down arrives too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from redis.asyncio import Redis

from contracts.codec import encode
from contracts.connection import MqttConnection
from contracts.messages import RemoteConfig
from contracts.topics import Topic, TopicKind, topic_for
from edge.mqtt_link import MqttLink
from edge.outbox import Outbox
from hub.enrol.broker_files import Account, hash_password, render_acl, render_password_file
from hub.enrol.site_bridge import SiteBroker, render_files
from hub.settings import HubSettings
from tests.field.broker import PrivateBroker, free_port, wait_until
from tests.field.harness import TECH, FieldHub, field_hub
from tests.hub.conftest import make_alert

pytestmark = pytest.mark.integration
EVENT_ID = re.compile(r"ev-[0-9a-f]{12}")
BOX = "edge-01"
PW = {"hub": "hub-secret-0001", BOX: "box-secret-0001"}


class Uplink:
    """A TCP relay from the site broker to the central one that can be cut and restored."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target = free_port(), target_port
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in list(self.writers):
            w.transport.abort()  # no goodbye: the link just breaks
        await self.server.wait_closed()

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            r2, w2 = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            w.transport.abort()
            return
        self.writers |= {w, w2}

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(copy(r, w2), copy(r2, w))
        self.writers -= {w, w2}


@pytest.fixture
async def central(tmp_path: Path, topic_prefix: str) -> AsyncIterator[PrivateBroker]:
    folder = tmp_path / "central"
    folder.mkdir()
    accounts = [Account("hub", "hub", hash_password(PW["hub"]))]
    accounts.append(Account(BOX, "box", hash_password(PW[BOX])))
    (folder / "passwd").write_text(render_password_file(accounts))
    (folder / "acl").write_text(render_acl(topic_prefix, accounts))
    broker = PrivateBroker(folder)
    broker.start()
    yield broker
    broker.stop()


@contextlib.contextmanager
def site_broker(folder: Path, uplink: Uplink, prefix: str) -> Iterator[int]:
    port = free_port()
    site = SiteBroker(
        "127.0.0.1", port, "127.0.0.1", uplink.port, prefix, folder, ((BOX, PW[BOX]),)
    )
    folder.mkdir()
    for name, text in render_files(site).items():
        extra = "user root\n" if name == "mosquitto.conf" and os.geteuid() == 0 else ""
        (folder / name).write_text(text + extra)
    log = (folder / "mosquitto.log").open("wb")
    proc = subprocess.Popen(["mosquitto", "-c", str(folder / "mosquitto.conf")], stderr=log)
    try:
        assert wait_until(lambda: _listening(port), 5), "the site broker did not start"
        yield port
    finally:
        proc.terminate()
        proc.wait(5)
        log.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Box:
    """The box's MQTT layer on the site broker: outbox, QoS 1, birth and will; it records
    the configs the hub sends it."""

    def __init__(self, tmp: Path, port: int, prefix: str) -> None:
        self.configs: list[str] = []
        self.outbox = Outbox(tmp / "outbox.sqlite")
        conn = MqttConnection(
            url=f"mqtt://127.0.0.1:{port}",
            topic_prefix=prefix,
            username_env="GW_SITE_TEST_BOX_USER",
            password_env="GW_SITE_TEST_BOX_PASSWORD",
        )
        self.link = MqttLink(conn, BOX, self.outbox, handler=self._on)
        self.prefix = prefix

    def _on(self, topic: Topic, msg: BaseModel | bytes) -> None:
        if topic.kind is TopicKind.CONFIG and isinstance(msg, RemoteConfig):
            self.configs.append(msg.config_id)

    def alert(self, **kw: Any) -> str:
        ev = make_alert(BOX, **kw)
        self.outbox.enqueue(topic_for(self.prefix, TopicKind.EVENT, BOX), encode(ev))
        self.link.notify()
        return ev.event_id


async def inbox_events(r: Redis, key: str) -> set[str]:
    """Event ids of everything in the hub's inbox stream."""
    found: set[str] = set()
    rows = await r.xrange(key) or []
    for _id, fields in rows:
        for v in (fields or {}).values():
            text = v.decode(errors="replace") if isinstance(v, bytes) else str(v)
            found.update(EVENT_ID.findall(text))
    return found


async def test_box_behind_a_site_broker_loses_nothing_when_the_uplink_drops(
    hub_settings: HubSettings,
    redis: Redis,
    central: PrivateBroker,
    topic_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for k, v in {
        "GW_SITE_TEST_HUB_USER": "hub",
        "GW_SITE_TEST_HUB_PASSWORD": PW["hub"],
        "GW_SITE_TEST_BOX_USER": BOX,
        "GW_SITE_TEST_BOX_PASSWORD": PW[BOX],
    }.items():
        monkeypatch.setenv(k, v)
    mqtt = hub_settings.mqtt.model_copy(
        update={
            "url": central.url,
            "username_env": "GW_SITE_TEST_HUB_USER",
            "password_env": "GW_SITE_TEST_HUB_PASSWORD",
        }
    )
    settings = hub_settings.model_copy(update={"mqtt": mqtt})
    uplink = Uplink(central.port)
    await uplink.up()
    try:
        with site_broker(tmp_path / "site", uplink, topic_prefix) as site_port:
            async with field_hub(settings) as h:
                box = Box(tmp_path, site_port, topic_prefix)
                box.link.start()
                try:
                    await _scenario(h, box, uplink, redis)
                finally:
                    await asyncio.to_thread(box.link.stop, 1.0)
                    box.outbox.close()
    finally:
        with contextlib.suppress(Exception):
            await uplink.down()


async def _scenario(h: FieldHub, box: Box, uplink: Uplink, redis: Redis) -> None:
    assert await asyncio.to_thread(box.link.connected.wait, 10), "box not on the site"
    # 1. an alert from behind the site broker becomes a case at the hub
    first = box.alert(camera_id="cam-01")

    async def cases() -> list[dict[str, Any]]:
        r = await h.http.get("/api/cases", headers={"Authorization": TECH_OP})
        return list(r.json()) if r.status_code == 200 else []

    assert await poll(cases, 15), "the bridged alert did not become a case"
    # 2. a config pushed from the hub reaches the box through the bridge
    push = {"boxes": [BOX], "config": {"stats_interval_s": 7.0}}
    r = await h.http.post("/api/fleet/config", json=push, headers=TECH)
    assert r.status_code == 202, r.text
    cid = r.json()["config_id"]
    assert await poll(lambda: _has(box.configs, cid), 10), "config did not reach the box"

    # 3. the uplink drops: the site broker takes the box's events and keeps them
    await uplink.down()
    await asyncio.sleep(0.3)
    sent = [box.alert(camera_id="cam-02", event_id=f"ev-{uuid.uuid4().hex[:12]}")]
    sent += [box.alert(camera_id="cam-01", type="update", event_id=first)]
    sent += [box.alert(camera_id="cam-03") for _ in range(5)]
    assert await poll(lambda: _drained(box.outbox), 10), "the site broker refused"
    while_down = await h.http.post("/api/fleet/config", json=push, headers=TECH)
    cid2 = while_down.json()["config_id"]
    await asyncio.sleep(1.0)
    inbox = h.rt.keys.inbox
    assert not (set(sent) - {first}) & await inbox_events(redis, inbox), "not cut"
    # 4. the uplink is back: every event arrives, and the config pushed meanwhile
    await uplink.up()
    t0 = time.monotonic()

    async def all_in() -> bool:
        return set(sent) <= await inbox_events(redis, inbox)

    assert await poll(all_in, 20), "events queued at the site broker were lost"
    print(f"queued events arrived {time.monotonic() - t0:.1f} s after the uplink")
    assert await poll(lambda: _has(box.configs, cid2), 10), "config while down lost"


TECH_OP = "Bearer operator-token-0123456789"


async def _has(items: list[str], item: str) -> bool:
    return item in items


async def _drained(outbox: Outbox) -> bool:
    return outbox.depth() == 0


async def poll(probe: Any, timeout_s: float, step_s: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        got = await probe()
        if got or time.monotonic() > deadline:
            return got
        await asyncio.sleep(step_s)

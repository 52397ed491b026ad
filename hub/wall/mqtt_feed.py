"""Edge messages the wall needs, straight from the broker: alerts, snapshots, availability.

paho runs its own network thread; each decoded message is handed to the asyncio loop, so
no callback ever blocks. One worker applies them in order of arrival, coalescing by key
(alarm key, snapshot id, box id): under a flood the wall shows the latest state of each
alarm and its memory is bounded by the number of distinct keys, never by the message rate.
A bad message is logged with its reason and dropped, never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contracts.codec import decode
from contracts.connection import MqttConnection
from contracts.errors import ContractError
from contracts.messages import AlertEvent, Availability
from contracts.topics import TopicKind, subscription
from hub.wall.service import WallService

log = logging.getLogger(__name__)


class WallFeed:
    def __init__(self, conn: MqttConnection, service: WallService) -> None:
        self.conn = conn
        self.service = service
        self.prefix = conn.topic_prefix
        self.connected = asyncio.Event()
        self.parked = 0
        self.coalesced = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[str, Callable[[], Awaitable[Any]]] = {}
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"wall-{uuid.uuid4().hex[:10]}"
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_socket_open = self._on_socket_open
        creds = conn.credentials()
        if creds:
            self._client.username_pw_set(*creds)
        if conn.tls:
            self._client.tls_set(ca_certs=conn.ca_file)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._worker = asyncio.create_task(self._work())
        self._client.connect_async(self.conn.host, self.conn.port, self.conn.keepalive_s)
        self._client.loop_start()

    async def stop(self) -> None:
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                key = next(iter(self._pending))
                job = self._pending.pop(key)
                try:
                    await job()
                except Exception:  # the outermost loop of the feed: log, keep going
                    log.exception("wall feed: handling %s failed", key)

    def _enqueue(self, key: str, job: Callable[[], Awaitable[Any]]) -> None:
        if key in self._pending:
            self.coalesced += 1
        self._pending[key] = job
        self._wake.set()

    def _on_socket_open(self, _c: Any, _u: Any, sock: Any) -> None:
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("wall feed: broker refused the connection: %s", reason)
            return
        for kind in (TopicKind.EVENT, TopicKind.AVAILABILITY, TopicKind.SNAPSHOT):
            client.subscribe(subscription(self.prefix, kind), qos=1)
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.connected.set)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            topic, message = decode(self.prefix, msg.topic, bytes(msg.payload))
        except ContractError as exc:
            self.parked += 1
            log.warning("wall feed: dropped message on %s: %s", msg.topic, exc)
            return
        if self._loop is None:
            return
        key: str | None = None
        job: Callable[[], Awaitable[Any]] | None = None
        if isinstance(message, bytes) and topic.item_id:
            key, job = (
                f"snap:{topic.item_id}",
                partial(self.service.store.put_snapshot, topic.item_id, message),
            )
        elif isinstance(message, AlertEvent):
            k = f"alarm:{message.camera_id}:{message.zone_id}:{message.category}"
            key, job = k, partial(self.service.on_alert, message)
        elif isinstance(message, Availability):
            key = f"box:{message.box_id}"
            job = partial(self.service.on_availability, message.box_id, message.state)
        if key is not None and job is not None:
            self._loop.call_soon_threadsafe(self._enqueue, key, job)

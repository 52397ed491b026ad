"""The box's MQTT connection: paho's own loop thread, QoS 1, persistent session, outbox drain.

- Birth and will: retained ``online`` on every connect, retained ``offline`` as last will.
- Everything durable goes through the ``Outbox``; a drain thread publishes rows in order
  with a bounded in-flight window and deletes each row on its PUBACK. After a disconnect it
  starts again from the oldest unacknowledged row (duplicates are harmless: stable ids).
- TCP_NODELAY on the socket (paho leaves Nagle on, which costs tens of milliseconds).
- Incoming messages are decoded with the contract; a bad one is logged and counted, never fatal.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel

from contracts.codec import ContractError, decode, encode
from contracts.connection import MqttConnection
from contracts.messages import Availability
from contracts.topics import Topic, TopicKind, subscription, topic_for
from edge.outbox import Outbox

log = logging.getLogger(__name__)

Handler = Callable[[Topic, BaseModel | bytes], None]


class MqttLink:
    def __init__(
        self,
        conn: MqttConnection,
        box_id: str,
        outbox: Outbox,
        *,
        handler: Handler | None = None,
        window: int = 20,
    ) -> None:
        self.conn = conn
        self.box_id = box_id
        self.prefix = conn.topic_prefix
        self.outbox = outbox
        self.handler = handler
        self.window = window
        self.connected = threading.Event()
        self.bad_messages = 0
        self.published = 0
        self.last_error: str | None = None
        self._acks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._inflight: dict[int, int] = {}
        self._last_sent = 0
        self._generation = 0
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"gw-{self.prefix.replace('/', '-')}-{box_id}",
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        creds = conn.credentials()
        if creds is not None:
            client.username_pw_set(*creds)
        if conn.tls:
            client.tls_set(ca_certs=conn.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        client.will_set(
            self.topic(TopicKind.AVAILABILITY),
            encode(Availability(box_id=box_id, state="offline")),
            qos=1,
            retain=True,
        )
        client.max_inflight_messages_set(window)
        client.reconnect_delay_set(1, 5)
        client.on_socket_open = self._on_socket_open
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        self.client = client
        self._drain = threading.Thread(target=self._drain_loop, name="outbox-drain", daemon=True)

    def topic(self, kind: TopicKind, item_id: str | None = None) -> str:
        return topic_for(self.prefix, kind, self.box_id, item_id)

    def start(self) -> None:
        self.client.connect_async(self.conn.host, self.conn.port, self.conn.keepalive_s)
        self.client.loop_start()
        self._drain.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        """Drain what the broker can take within ``timeout_s``, say offline, disconnect."""
        deadline = time.monotonic() + timeout_s
        while self.connected.is_set() and self.outbox.depth() and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.02)
        self._stop.set()
        self._wake.set()
        self._drain.join(timeout_s)
        if self.connected.is_set():
            info = self.client.publish(
                self.topic(TopicKind.AVAILABILITY),
                encode(Availability(box_id=self.box_id, state="offline", at_ms=_now_ms())),
                qos=1,
                retain=True,
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(max(0.1, deadline - time.monotonic()))
        self.client.disconnect()
        self.client.loop_stop()

    def notify(self) -> None:
        """Something new is in the outbox."""
        self._wake.set()

    def publish_now(self, kind: TopicKind, message: BaseModel, qos: int = 0) -> bool:
        """Publish a transient message (stats) only if connected; nothing is kept."""
        if not self.connected.is_set():
            return False
        info = self.client.publish(self.topic(kind), encode(message), qos=qos)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    # paho callbacks (loop thread): quick, never blocking, never raising
    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            self.last_error = f"broker refused connection: {reason}"
            log.error("%s", self.last_error)
            return
        self.last_error = None
        client.publish(
            self.topic(TopicKind.AVAILABILITY),
            encode(Availability(box_id=self.box_id, state="online", at_ms=_now_ms())),
            qos=1,
            retain=True,
        )
        client.subscribe(
            [
                (subscription(self.prefix, TopicKind.CONFIG, self.box_id), 1),
                (subscription(self.prefix, TopicKind.VERIFY_REQUEST, self.box_id), 1),
                (subscription(self.prefix, TopicKind.SENSOR, self.box_id), 0),
            ]
        )
        self._generation += 1
        self.connected.set()
        self._wake.set()
        log.info("connected to %s", self.conn.url)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.connected.clear()
        self._wake.set()
        log.warning("disconnected from broker: %s", reason)

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any
    ) -> None:
        self._acks.put(mid)
        self._wake.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            parsed, message = decode(self.prefix, msg.topic, bytes(msg.payload))
        except ContractError as exc:
            self.bad_messages += 1
            log.warning("bad message on %s parked: %s", msg.topic, exc)
            return
        if self.handler is None:
            return
        try:
            self.handler(parsed, message)
        except Exception:  # a handler bug must not kill paho's loop thread
            self.bad_messages += 1
            log.exception("handler failed for %s", msg.topic)

    # drain thread
    def _drain_loop(self) -> None:
        generation = -1
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            self._take_acks()
            if not self.connected.is_set():
                continue
            if generation != self._generation:  # a fresh connection: resend from the oldest
                generation = self._generation
                self._inflight.clear()
                self._last_sent = 0
            room = self.window - len(self._inflight)
            if room <= 0:
                continue
            for row in self.outbox.after(self._last_sent, room):
                info = self.client.publish(row.topic, row.payload, qos=row.qos, retain=row.retain)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    break
                if row.qos == 0:
                    self.outbox.ack(row.row_id)
                else:
                    self._inflight[info.mid] = row.row_id
                self._last_sent = row.row_id
                self.published += 1
            self._take_acks()

    def _take_acks(self) -> None:
        while True:
            try:
                mid = self._acks.get_nowait()
            except queue.Empty:
                return
            row_id = self._inflight.pop(mid, None)
            if row_id is not None:
                self.outbox.ack(row_id)
                self._wake.set()


def _now_ms() -> int:
    return int(time.time() * 1000)

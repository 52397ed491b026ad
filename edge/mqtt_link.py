"""The box's MQTT connection: paho's own loop thread, MQTT 5, QoS 1, persistent session, outbox drain.

- MQTT 5 with ``clean_start`` off and a session expiry of a day, under the stable client id.
- Birth and will: retained ``online`` on every connect, retained ``offline`` as last will.
- Everything durable goes through the ``Outbox``; a drain thread publishes rows in order
  with a bounded in-flight window and deletes each row on its PUBACK. After a disconnect it
  starts again from the oldest unacknowledged row (duplicates are harmless: stable ids).
- A PUBACK is only a delivery when its reason code says so. Reason 16, "no matching
  subscribers" (after a broker restart Mosquitto 2.0.11 has lost the hubs' shared
  subscription until they subscribe again), and any failure code (>= 0x80, logged and
  counted) keep the row: once nothing is in flight and a backoff (0.25 s doubling to 4 s) has
  passed, the drain sends again, in order, from the oldest row kept. A retained row answered
  16 is kept by the broker as retained, so it counts as delivered.
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
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import BaseModel

from contracts.codec import ContractError, decode, encode
from contracts.connection import MqttConnection
from contracts.messages import Availability
from contracts.topics import Topic, TopicKind, subscription, topic_for
from edge.outbox import Outbox

log = logging.getLogger(__name__)

Handler = Callable[[Topic, BaseModel | bytes], None]
NO_MATCHING_SUBSCRIBERS = 16  # MQTT 5 PUBACK reason: accepted, but nobody received it
SESSION_EXPIRY_S = 86_400  # the broker keeps the box's session (its subscriptions) a day
HOLD_FIRST_S = 0.25  # a kept row is sent again after this, doubling while it stays kept
HOLD_MAX_S = 4.0


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
        # PUBACKs that kept their row, by reason code (16: nobody subscribed; >= 0x80: refused)
        self.kept: dict[int, int] = {}
        self._acks: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._inflight: dict[int, tuple[int, bool]] = {}  # mid -> (row id, retained)
        self._last_sent = 0
        self._generation = 0
        self._held: set[int] = set()  # rows kept by their PUBACK, to send again
        self._resent: set[int] = set()  # rows sent again after a hold, until their PUBACK
        self._hold_until = 0.0
        self._hold_s = HOLD_FIRST_S
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"gw-{self.prefix.replace('/', '-')}-{box_id}",
            protocol=mqtt.MQTTv5,
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
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self.client.connect_async(
            self.conn.host,
            self.conn.port,
            self.conn.keepalive_s,
            clean_start=False,
            properties=props,
        )
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
        self._acks.put((mid, int(getattr(reason, "value", 0))))
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
            wait_s = 0.5
            if self._held:
                wait_s = min(wait_s, max(0.01, self._hold_until - time.monotonic()))
            self._wake.wait(wait_s)
            self._wake.clear()
            self._take_acks()
            if not self.connected.is_set():
                continue
            if generation != self._generation:  # a fresh connection: resend from the oldest
                generation = self._generation
                self._inflight.clear()
                self._last_sent = 0
                self._held.clear()
                self._resent.clear()
                self._hold_s = HOLD_FIRST_S
            if self._held:  # wait out what is in flight and the backoff, then go back
                if self._inflight or time.monotonic() < self._hold_until:
                    continue
                self._last_sent = min(self._held) - 1
                self._resent = set(self._held)
                self._held.clear()
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
                    self._inflight[info.mid] = (row.row_id, row.retain)
                self._last_sent = row.row_id
                self.published += 1
            self._take_acks()

    def _take_acks(self) -> None:
        while True:
            try:
                mid, code = self._acks.get_nowait()
            except queue.Empty:
                return
            sent = self._inflight.pop(mid, None)
            if sent is None:
                continue
            row_id, retained = sent
            if code == 0 or (code == NO_MATCHING_SUBSCRIBERS and retained):
                self.outbox.ack(row_id)
                if row_id in self._resent:  # a kept row got through: back to a short hold
                    self._resent.discard(row_id)
                    self._hold_s = HOLD_FIRST_S
            else:
                self._keep(row_id, code)
            self._wake.set()

    def _keep(self, row_id: int, code: int) -> None:
        """The broker took the row but did not deliver it: keep it, send it again later."""
        self.kept[code] = self.kept.get(code, 0) + 1
        if code >= 0x80:
            log.warning("broker refused outbox row %d (PUBACK reason %d): kept", row_id, code)
        else:
            log.debug("outbox row %d reached no subscriber (PUBACK reason %d): kept", row_id, code)
        if not self._held:  # the first of a round sets the backoff
            self._hold_until = time.monotonic() + self._hold_s
            self._hold_s = min(self._hold_s * 2, HOLD_MAX_S)
        self._held.add(row_id)


def _now_ms() -> int:
    return int(time.time() * 1000)

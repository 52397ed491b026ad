"""paho-mqtt driven from asyncio: paho's loop thread hands messages to a bounded queue.

MQTT 5, a persistent session (so unacknowledged messages come back after a crash), manual
acknowledgement (the hub acks only after Redis has the message) and TCP_NODELAY. The
broker never has more than ``receive_maximum`` unacknowledged messages out to us, so the
queue (sized above that) never overflows.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import ssl
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from contracts.connection import MqttConnection

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Incoming:
    topic: str
    payload: bytes
    mid: int
    qos: int


class MqttLink:
    def __init__(
        self,
        conn: MqttConnection,
        client_id: str,
        subscriptions: list[str],
        *,
        receive_maximum: int,
        session_expiry_s: int = 3600,
    ) -> None:
        self.conn = conn
        self.subscriptions = subscriptions
        self.receive_maximum = receive_maximum
        self.queue: asyncio.Queue[Incoming] = asyncio.Queue(maxsize=receive_maximum * 2 + 100)
        self.connected = asyncio.Event()
        self.overflow = 0
        self._loop = asyncio.get_running_loop()
        # the session is bound to its subscriptions: a changed prefix or group is a new session
        digest = hashlib.sha1("\n".join(sorted(subscriptions)).encode()).hexdigest()[:6]
        self.client_id = f"{client_id}-{digest}"
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self._session_expiry_s = session_expiry_s
        creds = conn.credentials()
        if creds:
            self._client.username_pw_set(*creds)
        if conn.tls:
            self._client.tls_set(ca_certs=conn.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        self._client.max_inflight_messages_set(1000)
        self._client.max_queued_messages_set(0)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self._session_expiry_s
        props.ReceiveMaximum = self.receive_maximum
        self._client.connect_async(
            self.conn.host,
            self.conn.port,
            keepalive=self.conn.keepalive_s,
            clean_start=False,
            properties=props,
        )
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def ack(self, mid: int, qos: int) -> None:
        self._client.ack(mid, qos)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=qos, retain=retain)

    # paho's thread ---------------------------------------------------------------------------
    def _on_connect(
        self, client: mqtt.Client, _u: object, flags: object, rc: object, _p: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            log.error("MQTT connect refused: %s", rc)
            return
        sock = client.socket()
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not getattr(flags, "session_present", False):
            # a resumed session keeps its subscriptions; subscribing again would make the
            # broker replace them, and a message landing in between would be lost
            opts = SubscribeOptions(qos=1)
            client.subscribe([(s, opts) for s in self.subscriptions])
        self._loop.call_soon_threadsafe(self.connected.set)

    def _on_disconnect(self, _c: object, _u: object, _f: object, rc: object, _p: object) -> None:
        self._loop.call_soon_threadsafe(self.connected.clear)
        log.warning("MQTT disconnected: %s", rc)

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        item = Incoming(msg.topic, bytes(msg.payload), msg.mid, msg.qos)
        self._loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: Incoming) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:  # cannot happen while the broker honours ReceiveMaximum
            self.overflow += 1  # not acked: the broker redelivers it after a reconnect

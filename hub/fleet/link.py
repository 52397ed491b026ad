"""The fleet's own MQTT client: publishes retained configs, hears every box's ConfigAck.

Its own connection (not the ingest's shared subscription), so every hub process sees every
acknowledgement; paho's thread hands messages to the event loop and never blocks in it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contracts.codec import ContractError, decode
from contracts.connection import MqttConnection
from contracts.messages import ConfigAck
from contracts.topics import TopicKind, subscription

log = logging.getLogger(__name__)


class FleetLink:
    def __init__(
        self, conn: MqttConnection, client_id: str, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.conn = conn
        self.loop = loop
        self.acks: asyncio.Queue[ConfigAck] = asyncio.Queue(maxsize=10_000)
        self.listeners: list[Callable[[ConfigAck], None]] = []
        """Called on the event loop with every acknowledgement (the zone editor's follow-up)."""
        self.connected = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        creds = conn.credentials()
        if creds:
            self.client.username_pw_set(*creds)
        if conn.tls:
            self.client.tls_set(ca_certs=conn.ca_file)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            log.error("fleet link refused by the broker: %s", rc)
            return
        client.subscribe(subscription(self.conn.topic_prefix, TopicKind.CONFIG_ACK), qos=1)
        self.connected.set()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            _topic, ack = decode(self.conn.topic_prefix, msg.topic, bytes(msg.payload))
        except ContractError as exc:
            log.warning("fleet: bad config ack parked: %s", exc)
            return
        if isinstance(ack, ConfigAck):
            self.loop.call_soon_threadsafe(self._put, ack)

    def _put(self, ack: ConfigAck) -> None:
        for listen in self.listeners:
            try:
                listen(ack)
            except Exception:
                log.exception("fleet: an ack listener failed on %s", ack.config_id)
        try:
            self.acks.put_nowait(ack)
        except asyncio.QueueFull:
            log.error("fleet: ack queue full, dropped ack of %s", ack.box_id)

    def start(self) -> None:
        self.client.connect_async(self.conn.host, self.conn.port, self.conn.keepalive_s)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"publish to {topic} failed: {mqtt.error_string(info.rc)}")

"""Pushes for native apps: one MQTT topic per responder, QoS 1, never retained.

Topic: ``{prefix}/v1/responder/{person_id}/push`` (see docs/responders.md). The client runs
paho's own network thread; ``send`` waits for the broker's PUBACK without blocking the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contracts.codec import encode
from contracts.connection import MqttConnection
from contracts.messages import ResponderPush
from contracts.topics import responder_push_topic

log = logging.getLogger(__name__)


class MqttPushError(RuntimeError):
    pass


class MqttPushChannel:
    name = "mqtt"

    def __init__(self, conn: MqttConnection, client_id: str) -> None:
        self.conn = conn
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        creds = conn.credentials()
        if creds:
            self.client.username_pw_set(*creds)
        if conn.tls:
            self.client.tls_set(ca_certs=conn.ca_file)
        self._connected = threading.Event()
        self._failure: str | None = None
        self.client.on_connect = self._on_connect

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            self._failure = f"broker refused the push client: {rc}"
        self._connected.set()

    def start(self, timeout_s: float = 5.0) -> None:
        self.client.connect_async(self.conn.host, self.conn.port, self.conn.keepalive_s)
        self.client.loop_start()
        if not self._connected.wait(timeout_s):
            self.stop()
            raise MqttPushError(f"no connection to {self.conn.url} within {timeout_s}s")
        if self._failure:
            self.stop()
            raise MqttPushError(self._failure)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    async def send(self, push: ResponderPush, timeout_s: float = 2.0) -> None:
        topic = responder_push_topic(self.conn.topic_prefix, push.person_id)
        info = self.client.publish(topic, encode(push), qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise MqttPushError(f"publish to {topic} failed: {mqtt.error_string(info.rc)}")
        await asyncio.to_thread(info.wait_for_publish, timeout_s)
        if not info.is_published():
            raise MqttPushError(f"no PUBACK for {topic} within {timeout_s}s")

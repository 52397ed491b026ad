"""The test suite really talks to Mosquitto and Redis (no mocks)."""

from __future__ import annotations

import queue
import socket
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
import redis
from paho.mqtt.enums import CallbackAPIVersion

from contracts.codec import decode, encode
from contracts.messages import Availability
from contracts.topics import TopicKind, topic_for

pytestmark = pytest.mark.integration


def test_round_trip_through_the_real_broker(mqtt_url: str, topic_prefix: str) -> None:
    url = urlsplit(mqtt_url)
    got: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, msg: got.put(msg)
    client.connect(url.hostname or "127.0.0.1", url.port or 1883)
    client.loop_start()
    try:
        topic = topic_for(topic_prefix, TopicKind.AVAILABILITY, "edge-01")
        client.subscribe(topic, qos=1)
        sent = Availability(box_id="edge-01", state="online", at_ms=1)
        # Retained, so the subscription sees it whichever arrives first.
        client.publish(topic, encode(sent), qos=1, retain=True).wait_for_publish(5)
        msg = got.get(timeout=5)
        assert decode(topic_prefix, msg.topic, bytes(msg.payload))[1] == sent
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)  # clear the retained
    finally:
        client.loop_stop()
        client.disconnect()
    # The broker is Mosquitto, not something else answering on the port.
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 1883), timeout=5):
        pass


def test_round_trip_through_the_real_redis(redis_url: str, redis_prefix: str) -> None:
    r = redis.Redis.from_url(redis_url)
    try:
        info = r.info("server")
        assert str(info["redis_version"]).split(".")[0].isdigit()
        key = f"{redis_prefix}:stream"
        entry = r.xadd(key, {"payload": b"hello"})
        entries = r.xrange(key)
        assert entries is not None
        assert entries[0] == (entry, {b"payload": b"hello"})
        assert r.connection_pool.connection_kwargs.get("db") == int(
            urlsplit(redis_url).path[1:] or 0
        )
    finally:
        r.delete(f"{redis_prefix}:stream")
        r.close()

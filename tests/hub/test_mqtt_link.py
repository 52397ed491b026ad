"""The hub's MQTT link against the real broker: every QoS 1 message arrives once acked in
batches, the wide subscription marks its copies, and a link whose connection is taken away
comes back and subscribes again."""

from __future__ import annotations

import asyncio
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from contracts.connection import MqttConnection
from hub.services.mqtt_link import Incoming, MqttLink

pytestmark = pytest.mark.integration


def _publish(port: int, topic: str, n: int, start: int = 0) -> None:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.connect("127.0.0.1", port)
    c.loop_start()
    last = None
    for i in range(start, start + n):
        last = c.publish(topic, str(i).encode(), qos=1)
    assert last is not None
    last.wait_for_publish(10)
    c.disconnect()
    c.loop_stop()


async def _take(link: MqttLink, n: int) -> list[Incoming]:
    got: list[Incoming] = []
    while len(got) < n:
        batch = await asyncio.wait_for(link.take(64), 10)
        link.ack_batch(batch)
        got += batch
    return got


async def test_link_receives_acks_and_comes_back(mqtt_url: str) -> None:
    port = int(mqtt_url.rsplit(":", 1)[1])
    base = f"lt-{uuid.uuid4().hex[:8]}"
    link = MqttLink(
        MqttConnection(url=mqtt_url),
        base,
        [f"{base}/own"],
        wide_subscriptions=[f"$share/{base}/{base}/wide/#"],
        receive_maximum=50,  # fewer than sent: the broker waits for the acks
    )
    link.start()
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        await asyncio.to_thread(_publish, port, f"{base}/wide/x", 300)
        await asyncio.to_thread(_publish, port, f"{base}/own", 5)
        got = await _take(link, 305)
        wide = sorted(int(m.payload) for m in got if m.wide)
        assert wide == list(range(300))  # every one, once, marked as the wide filter's
        assert [m.topic for m in got if not m.wide] == [f"{base}/own"] * 5
        # a client taking the id (clean start) ends the link's connection and its session
        kicker = mqtt.Client(CallbackAPIVersion.VERSION2, link.client_id, protocol=mqtt.MQTTv5)
        kicker.connect("127.0.0.1", port, clean_start=True)
        kicker.disconnect()
        assert link.connects == 1
        for _ in range(500):
            if link.connects == 2 and link.connected.is_set():
                break
            await asyncio.sleep(0.02)
        assert link.connects == 2  # it noticed and came back
        await asyncio.sleep(0.3)  # the new SUBSCRIBE reaches the broker
        await asyncio.to_thread(_publish, port, f"{base}/wide/y", 100, 1000)
        again = await _take(link, 100)
        assert sorted(int(m.payload) for m in again) == list(range(1000, 1100))
    finally:
        link.stop()

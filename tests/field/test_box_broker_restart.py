"""A box keeps what its broker acknowledged but delivered to nobody: 0 lost over a restart.

Mosquitto 2.0.11 does not keep the hubs' shared subscription (``$share/...``) over a restart.
What a box publishes after the broker is back and before the hubs have subscribed again is
acknowledged yet reaches no one; MQTT 5 says so in the PUBACK (reason 16). Here a real
``edge.mqtt_link.MqttLink`` with its SQLite outbox, logged in as a box, publishes events all
along while the broker (the config, passwd and ACL the hub renders for its local broker) is
stopped and started again; the hub-side subscriber (MQTT 5, persistent session, shared
subscription, as the hubs hold) comes back a second after the box. Every event must arrive
and the box must have been answered 16 (the window was real). docs/scale.md, "Broker at
fleet size".
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contracts.connection import MqttConnection
from contracts.topics import TopicKind, shared, subscription, topic_for
from edge.mqtt_link import NO_MATCHING_SUBSCRIBERS, MqttLink
from edge.outbox import Outbox
from hub.enrol.broker_files import Account, hash_password, render_acl, render_password_file
from hub.enrol.local_broker import broker_config
from tests.field.broker import free_port, wait_until

pytestmark = pytest.mark.integration
BOX = "edge-01"
HUB_PASSWORD = "hub-password-for-the-test"
BOX_PASSWORD = "box-password-for-the-test"


class Broker:
    def __init__(self, folder: Path, prefix: str) -> None:
        self.folder, self.port = folder, free_port()
        accounts = [
            Account("hub", "hub", hash_password(HUB_PASSWORD)),
            Account(BOX, "box", hash_password(BOX_PASSWORD)),
        ]
        (folder / "passwd").write_text(render_password_file(accounts))
        (folder / "acl").write_text(render_acl(prefix, accounts))
        (folder / "mosquitto.conf").write_text(broker_config(folder, self.port))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.folder / "mosquitto.conf")], stderr=subprocess.DEVNULL
        )
        assert wait_until(self._listening, 5), "mosquitto did not start"

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # a clean stop: mosquitto saves its sessions
            self.proc.wait(10)
        self.proc = None


class HubSubscriber:
    """As the hubs: MQTT 5, persistent session, shared subscription made again on connect."""

    def __init__(self, port: int, prefix: str, got: set[bytes], lock: threading.Lock) -> None:
        self.c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="hub-share-test", protocol=mqtt.MQTTv5
        )
        self.c.username_pw_set("hub", HUB_PASSWORD)
        self.subscribed = threading.Event()
        topic = shared("hub", subscription(prefix, TopicKind.EVENT))

        def on_connect(c: mqtt.Client, *_a: Any) -> None:
            c.subscribe(topic, qos=1)

        def on_message(_c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
            with lock:
                got.add(bytes(msg.payload))

        self.c.on_connect = on_connect
        self.c.on_subscribe = lambda *_a: self.subscribed.set()
        self.c.on_message = on_message
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        self.c.connect_async("127.0.0.1", port, clean_start=False, properties=props)
        self.c.loop_start()


@pytest.fixture
def broker(tmp_path: Path, topic_prefix: str) -> Iterator[Broker]:
    b = Broker(tmp_path, topic_prefix)
    b.start()
    try:
        yield b
    finally:
        b.stop()


def _box_link(port: int, prefix: str, outbox: Outbox, monkeypatch: pytest.MonkeyPatch) -> MqttLink:
    monkeypatch.setenv("GW_TEST_BOX_USER", BOX)
    monkeypatch.setenv("GW_TEST_BOX_PASSWORD", BOX_PASSWORD)
    conn = MqttConnection(
        url=f"mqtt://127.0.0.1:{port}",
        topic_prefix=prefix,
        username_env="GW_TEST_BOX_USER",
        password_env="GW_TEST_BOX_PASSWORD",
    )
    return MqttLink(conn, BOX, outbox)


def test_no_event_lost_when_the_hubs_resubscribe_after_the_box(
    broker: Broker, tmp_path: Path, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    got: set[bytes] = set()
    lock = threading.Lock()
    hub = HubSubscriber(broker.port, topic_prefix, got, lock)
    assert hub.subscribed.wait(5), "the hub-side subscriber did not subscribe"
    outbox = Outbox(tmp_path / "outbox.sqlite")
    link = _box_link(broker.port, topic_prefix, outbox, monkeypatch)
    link.start()
    assert link.connected.wait(5), f"the box did not connect: {link.last_error}"

    sent: list[bytes] = []
    stop_sending = threading.Event()
    topic = link.topic(TopicKind.EVENT)

    def send() -> None:  # an event every 20 ms, all along
        n = 0
        while not stop_sending.is_set():
            payload = f"event-{n}".encode()
            outbox.enqueue(topic, payload)
            sent.append(payload)
            link.notify()
            n += 1
            time.sleep(0.02)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        time.sleep(0.5)
        hub.c.loop_stop()  # the hub side stays away until told to come back
        broker.stop()
        time.sleep(0.3)
        broker.start()
        assert wait_until(link.connected.is_set, 8), "the box did not come back"
        time.sleep(1.0)  # the box publishes into the lost shared subscription
        hub.c.disconnect()
        hub = HubSubscriber(broker.port, topic_prefix, got, lock)
        assert hub.subscribed.wait(5), "the hub-side subscriber did not come back"
        time.sleep(0.5)
    finally:
        stop_sending.set()
        sender.join(2)
    try:
        wait_until(lambda: outbox.depth() == 0 and set(sent) <= got, 8)
        with lock:
            lost = sorted(set(sent) - got, key=lambda p: int(p.split(b"-")[1]))
        assert not lost, f"{len(lost)} of {len(sent)} events lost: {lost[:10]}"
        assert outbox.depth() == 0
        # the window was real: the broker said some reached nobody, and they were kept
        assert link.kept.get(NO_MATCHING_SUBSCRIBERS, 0) > 0, link.kept
        print(f"{len(sent)} events, 0 lost; PUBACKs that kept their row: {link.kept}")
    finally:
        link.stop(1.0)
        hub.c.disconnect()
        hub.c.loop_stop()
        outbox.close()


def test_a_refused_publish_is_kept_and_counted_not_dropped(
    broker: Broker, tmp_path: Path, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PUBACK 135 (not authorised: another box's topic under the ACL): the row stays in the
    outbox and is counted; the rows behind it still go out."""
    got: set[bytes] = set()
    hub = HubSubscriber(broker.port, topic_prefix, got, threading.Lock())
    assert hub.subscribed.wait(5)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    link = _box_link(broker.port, topic_prefix, outbox, monkeypatch)
    foreign = topic_for(topic_prefix, TopicKind.EVENT, "edge-99")
    outbox.enqueue(foreign, b"not mine")
    outbox.enqueue(link.topic(TopicKind.EVENT), b"mine")
    link.start()
    try:
        assert wait_until(lambda: b"mine" in got and link.kept.get(135, 0) >= 1, 5), link.kept
        time.sleep(0.5)  # sent again after the backoff: still kept
        assert [r.topic for r in outbox.after(0, 10)] == [foreign]
        assert b"not mine" not in got
    finally:
        link.stop(0.2)
        hub.c.disconnect()
        hub.c.loop_stop()
        outbox.close()

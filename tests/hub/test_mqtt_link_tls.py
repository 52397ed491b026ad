"""The hub's MQTT link over TLS, against a real Mosquitto with a TLS listener: large reads
of decrypted bytes (data OpenSSL holds after the kernel has none) deliver every message."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from contracts.connection import MqttConnection
from hub.services.mqtt_link import MqttLink
from tests.hub.test_mqtt_link import _take

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (shutil.which("mosquitto") and shutil.which("openssl")),
        reason="needs the mosquitto and openssl binaries",
    ),
]


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
        f"certfile {cert}\nkeyfile {key}\nset_tcp_nodelay true\n"
    )
    log = tmp_path / "mosquitto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=out, stderr=out)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError(f"TLS broker did not listen: {log.read_text()}")
        yield port, cert
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


def _publish_tls(port: int, cert: Path, topic: str, n: int) -> None:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.tls_set(ca_certs=str(cert), cert_reqs=ssl.CERT_REQUIRED)
    c.max_inflight_messages_set(200)
    c.connect("127.0.0.1", port)
    c.loop_start()
    last = None
    for i in range(n):
        last = c.publish(topic, f"{i:06d}".encode() + b"x" * 3000, qos=1)
    assert last is not None
    last.wait_for_publish(20)
    c.disconnect()
    c.loop_stop()


async def test_link_over_tls_gets_every_message(tls_broker: tuple[int, Path]) -> None:
    port, cert = tls_broker
    base = f"tls-{uuid.uuid4().hex[:8]}"
    link = MqttLink(
        MqttConnection(url=f"mqtts://127.0.0.1:{port}", ca_file=str(cert)),
        base,
        [],
        wide_subscriptions=[f"$share/{base}/{base}/#"],
        receive_maximum=50,
    )
    link.start()
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        await asyncio.sleep(0.2)
        await asyncio.to_thread(_publish_tls, port, cert, f"{base}/x", 400)
        got = await _take(link, 400)
        assert sorted(int(m.payload[:6]) for m in got) == list(range(400))
        assert all(len(m.payload) == 3006 and m.wide for m in got)
    finally:
        link.stop()

"""Item 6: the demo's broker (``hub.enrol.local_broker``, what ``make demo`` starts) takes no
anonymous client, the hub logs in as itself, and a box is held to its own topics: no forged
alert, no 'clear' answer for another box's verify request, no retained config for any box."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from hub.district import load_district
from hub.enrol.local_broker import LocalBroker, prepare
from hub.settings import HubSettings
from tests.field.broker import Client, free_port, wait_until

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def anonymous(port: int) -> Client:
    c = Client(port, "anon", "")
    c.c.username_pw_set(None)  # no username at all: an anonymous MQTT client
    return c


def _start(conf: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    if not wait_until(lambda: _open(port), 5):
        proc.kill()
        raise RuntimeError("the broker did not start")
    return proc


def _open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def demo_broker(
    tmp_path: Path, redis_url: str, redis_prefix: str, topic_prefix: str
) -> Iterator[LocalBroker]:
    settings = HubSettings.model_validate(
        {
            "district_dir": str(REPO / "configs" / "district"),
            "mqtt": {"topic_prefix": topic_prefix},
            "redis": {"url": redis_url, "key_prefix": redis_prefix},
            "enrol": {"broker_dir": str(tmp_path / "broker")},
        }
    )
    district = load_district(settings.district_dir)
    broker = asyncio.run(prepare(settings, district, ["edge-01", "edge-02"], free_port()))
    proc = _start(broker.conf, broker.port)
    try:
        yield broker
    finally:
        proc.terminate()
        proc.wait(5)
        r = redis.Redis.from_url(redis_url)
        keys = list(r.scan_iter(f"{redis_prefix}:*"))
        if keys:
            r.delete(*keys)
        r.close()


def test_demo_broker_refuses_anonymous_and_confines_boxes(
    demo_broker: LocalBroker, topic_prefix: str
) -> None:
    b = demo_broker
    root = f"{topic_prefix}/v1/edge"
    anon = anonymous(b.port)
    assert anon.connect() not in (0, None), "an anonymous client was let in"
    anon.stop()

    hub = Client(b.port, b.hub_username, b.hub_password)
    box = Client(b.port, "edge-01", b.box_passwords["edge-01"])
    assert hub.connect() == 0 and box.connect() == 0
    hub.subscribe(f"{topic_prefix}/#")
    box.subscribe(f"{root}/+/verify/request")
    assert box.publish(f"{root}/edge-01/event", b"mine") == 0
    forged = {
        "alert as another box": f"{root}/edge-02/event",
        "'clear' for another box": f"{root}/edge-02/verify/response",
        "config for another box": f"{root}/edge-02/config",
        "config for itself": f"{root}/edge-01/config",
    }
    for what, topic in forged.items():
        assert box.publish(topic, what.encode()) == 135, what  # MQTT 5: not authorized
    assert hub.publish(f"{root}/edge-02/verify/request", b"not yours") == 0
    assert hub.publish(f"{root}/edge-01/verify/request", b"yours") == 0
    assert wait_until(lambda: box.messages != [], 2)
    wait_until(lambda: False, 0.3)
    assert box.messages == [(f"{root}/edge-01/verify/request", b"yours")]
    seen = [t for t, _ in hub.messages]
    assert f"{root}/edge-01/event" in seen
    assert not set(forged.values()) & set(seen)
    hub.stop()
    box.stop()


def test_the_acl_gives_an_anonymous_client_nothing(
    demo_broker: LocalBroker, topic_prefix: str, tmp_path: Path
) -> None:
    """Even a broker wrongly set to take anonymous clients gives them no topic: the
    rendered ACL has no lines before its first ``user``."""
    b = demo_broker
    acl = (b.folder / "acl").read_text()
    before_users = acl.split("\nuser ", 1)[0]
    assert [ln for ln in before_users.splitlines() if ln.startswith(("topic", "pattern"))] == []
    port = free_port()
    conf = tmp_path / "open.conf"
    text: Any = b.conf.read_text()
    text = text.replace("allow_anonymous false", "allow_anonymous true")
    text = text.replace(f"listener {b.port} ", f"listener {port} ")
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith(("pid_file", "persist")))
    conf.write_text(text + "\npersistence false\n")
    proc = _start(conf, port)
    try:
        hub = Client(port, b.hub_username, b.hub_password)
        anon = anonymous(port)
        assert hub.connect() == 0 and anon.connect() == 0
        hub.subscribe(f"{topic_prefix}/#")
        anon.subscribe(f"{topic_prefix}/#")
        root = f"{topic_prefix}/v1/edge"
        assert anon.publish(f"{root}/edge-01/event", b"forged") == 135
        assert anon.publish(f"{root}/edge-01/config", b"stop") == 135
        assert hub.publish(f"{root}/edge-01/config", b"{}") == 0
        wait_until(lambda: False, 0.3)
        assert anon.messages == []
        hub.stop()
        anon.stop()
    finally:
        proc.terminate()
        proc.wait(5)

"""The broker's per-box auth and ACL, rendered by the hub, enforced by a real Mosquitto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.enrol.broker_files import (
    Account,
    check_password,
    hash_password,
    render_acl,
    render_password_file,
)
from tests.field.broker import Client, PrivateBroker, wait_until

pytestmark = pytest.mark.integration

PW = {"hub": "hub-secret-0001", "edge-01": "box-secret-0001", "edge-02": "box-secret-0002"}


@pytest.fixture
def broker(tmp_path: Path, topic_prefix: str) -> Iterator[PrivateBroker]:
    accounts = [
        Account("hub", "hub", hash_password(PW["hub"])),
        Account("edge-01", "box", hash_password(PW["edge-01"])),
        Account("edge-02", "box", hash_password(PW["edge-02"])),
    ]
    (tmp_path / "passwd").write_text(render_password_file(accounts))
    (tmp_path / "acl").write_text(render_acl(topic_prefix, accounts))
    b = PrivateBroker(tmp_path)
    b.start()
    yield b
    b.stop()


def test_box_publishes_only_under_its_own_prefix(broker: PrivateBroker, topic_prefix: str) -> None:
    hub = Client(broker.port, "hub", PW["hub"])
    box = Client(broker.port, "edge-01", PW["edge-01"])
    assert hub.connect() == 0 and box.connect() == 0
    hub.subscribe(f"{topic_prefix}/#")
    own = f"{topic_prefix}/v1/edge/edge-01/event"
    other = f"{topic_prefix}/v1/edge/edge-02/event"
    outside = f"{topic_prefix}/v1/responder/p-1/push"
    assert box.publish(own, b"mine") == 0
    assert box.publish(other, b"forged") == 135  # MQTT 5: Not authorized
    assert box.publish(outside, b"forged") == 135
    assert box.publish(f"{topic_prefix}/v1/edge/edge-01/config", b"self-config") == 135
    assert wait_until(lambda: (own, b"mine") in hub.messages, 2)
    assert hub.publish(f"{topic_prefix}/v1/edge/edge-01/config", b"{}") == 0
    wait_until(lambda: len(hub.messages) >= 2, 0.5)  # the hub's own config echo, if any
    assert [t for t, _ in hub.messages if "edge-02" in t or "responder" in t] == []
    hub.stop()
    box.stop()


def test_box_reads_only_its_own_config(broker: PrivateBroker, topic_prefix: str) -> None:
    hub = Client(broker.port, "hub", PW["hub"])
    box = Client(broker.port, "edge-01", PW["edge-01"])
    assert hub.connect() == 0 and box.connect() == 0
    box.subscribe(f"{topic_prefix}/v1/edge/+/config")
    hub.publish(f"{topic_prefix}/v1/edge/edge-02/config", b"not yours")
    hub.publish(f"{topic_prefix}/v1/edge/edge-01/config", b"yours")
    assert wait_until(lambda: box.messages != [], 2)
    assert box.messages == [(f"{topic_prefix}/v1/edge/edge-01/config", b"yours")]
    hub.stop()
    box.stop()


def test_wrong_password_and_unknown_user_refused(broker: PrivateBroker) -> None:
    assert Client(broker.port, "edge-01", "box-secret-0002").connect() not in (0, None)
    assert Client(broker.port, "edge-09", "box-secret-0009").connect() not in (0, None)


def test_anonymous_client_refused(broker: PrivateBroker) -> None:
    anon = Client(broker.port, "anon", "")
    anon.c.username_pw_set(None)  # no username at all
    assert anon.connect() not in (0, None)
    anon.stop()


@pytest.mark.parametrize(
    ("username", "role", "message"),
    [
        ("edge 01", "box", "broker username 'edge 01' is not a safe name"),
        ("#", "box", "is not a safe name"),
    ],
)
def test_account_names_checked(username: str, role: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Account(username, role, hash_password("long-enough-pass"))  # type: ignore[arg-type]


def test_hash_is_mosquitto_format_and_checks() -> None:
    h = hash_password("long-enough-pass", salt=b"0123456789ab")
    assert h.startswith("$7$101$MDEyMzQ1Njc4OWFi$")
    assert check_password("long-enough-pass", h) and not check_password("other-password", h)
    with pytest.raises(ValueError, match="at least 12 characters"):
        hash_password("short")


def test_duplicate_usernames_refused() -> None:
    a = Account("edge-01", "box", hash_password("long-enough-pass"))
    with pytest.raises(ValueError, match="'edge-01' appears twice"):
        render_acl("gw", [a, a])

"""Web Push: a valid, encrypted, VAPID-signed request reaches a local push service."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from contracts.messages import ResponderPush
from hub.push.webpush import Subscription, SubscriptionGone, VapidKey, WebPushSender
from tests.field.pushservice import BrowserSubscription, PushService, verify_vapid

PUSH = ResponderPush(
    push_id="33990120261123100007-3-dis-p-1",
    person_id="p-1",
    kind="dispatch",
    case_no="33990120261123100007",
    category="06901",
    category_name="违规堆放液化气瓶",
    place="东门社区第3网格 · 东门菜场北",
    grid_code="339901001001003",
    state="dispatched",
    deadline_ms=1_795_000_000_000,
    sent_ms=1_794_000_000_000,
)


@pytest.fixture
def service() -> Iterator[PushService]:
    svc = PushService()
    svc.start()
    yield svc
    svc.stop()


def test_push_is_encrypted_signed_and_decryptable(service: PushService) -> None:
    key = VapidKey.generate("mailto:ops@gridwall.example")
    browser = BrowserSubscription(f"{service.url}/push/abc123")
    sub = Subscription.model_validate(browser.to_json())
    status = WebPushSender(key, ttl_s=900).send_blocking(sub, PUSH)
    assert status == 201
    [req] = service.received
    assert req.path == "/push/abc123"
    assert req.headers["content-encoding"] == "aes128gcm"
    assert req.headers["ttl"] == "900"
    assert req.headers["urgency"] == "high"
    assert req.headers["topic"] == PUSH.case_no
    claims = verify_vapid(req.headers["authorization"], key.public_b64)
    assert claims["aud"] == service.url
    assert claims["sub"] == "mailto:ops@gridwall.example"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert PUSH.category_name.encode() not in req.body  # encrypted on the wire
    got = browser.decrypt(req.body)
    assert got["case_no"] == PUSH.case_no
    assert got["category"] == "06901" and got["category_name"] == "违规堆放液化气瓶"
    assert got["place"] == PUSH.place
    assert got["deadline_ms"] == PUSH.deadline_ms
    assert ResponderPush.model_validate(got) == PUSH


def test_a_gone_subscription_is_reported(service: PushService) -> None:
    service.status = 410
    key = VapidKey.generate("mailto:ops@gridwall.example")
    browser = BrowserSubscription(f"{service.url}/push/old")
    with pytest.raises(SubscriptionGone):
        WebPushSender(key).send_blocking(Subscription.model_validate(browser.to_json()), PUSH)


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("http://push.example.com/x", "must be https:// (http:// only on loopback)"),
        ("ftp://127.0.0.1/x", "must be https://"),
    ],
)
def test_subscription_endpoint_checked(endpoint: str, message: str) -> None:
    body = BrowserSubscription(endpoint).to_json()
    with pytest.raises(ValidationError, match=re.escape(message)):
        Subscription.model_validate(body)


@pytest.mark.parametrize(
    ("subject", "message"),
    [("ops@gridwall.example", "must start with mailto: or https://")],
)
def test_vapid_subject_checked(subject: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        VapidKey.generate(subject)

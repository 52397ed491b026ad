"""Web Push with VAPID: encrypt a push for one browser subscription and hand it to the
browser vendor's push service (RFC 8030 / 8291 / 8292, ``aes128gcm``).

The hub's VAPID key is a P-256 private key in a PEM file named by settings (never in code);
``VapidKey.public_b64`` is the ``applicationServerKey`` the page subscribes with.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pywebpush import WebPushException, webpush

from contracts.messages import ResponderPush

log = logging.getLogger(__name__)
B64URL = r"^[A-Za-z0-9_-]+=*$"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SubscriptionKeys(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    p256dh: Annotated[str, Field(pattern=B64URL, min_length=80, max_length=100)]
    auth: Annotated[str, Field(pattern=B64URL, min_length=16, max_length=32)]


class Subscription(BaseModel):
    """A browser's push subscription as ``PushSubscription.toJSON()`` gives it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    endpoint: Annotated[str, Field(max_length=1000)]
    keys: SubscriptionKeys

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return url
        if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
            return url  # a local push service (tests, an on-premises relay)
        raise ValueError(f"push endpoint {url!r} must be https:// (http:// only on loopback)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class VapidKey:
    """The hub's VAPID signing key and the subject (``mailto:`` or ``https:``) it signs as."""

    pem: bytes
    subject: str

    @classmethod
    def load(cls, path: Path, subject: str) -> VapidKey:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read VAPID key {path}: {exc.strerror or exc}") from None
        return cls.from_pem(pem, subject)

    @classmethod
    def from_pem(cls, pem: bytes, subject: str) -> VapidKey:
        if not subject.startswith(("mailto:", "https://")):
            raise ValueError(f"VAPID subject {subject!r} must start with mailto: or https://")
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("VAPID key must be an EC P-256 private key")
        return cls(pem, subject)

    @classmethod
    def generate(cls, subject: str) -> VapidKey:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls.from_pem(pem, subject)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(self.pem)

    @property
    def public_b64(self) -> str:
        key = serialization.load_pem_private_key(self.pem, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        raw = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(raw)

    def vapid(self) -> Vapid02:
        return Vapid02.from_pem(self.pem)


class SubscriptionGone(Exception):
    """The push service says the subscription no longer exists (404/410): forget it."""


class WebPushSender:
    """Sends one encrypted push per call; blocking HTTP runs in a worker thread."""

    def __init__(self, key: VapidKey, *, ttl_s: int = 3600, timeout_s: float = 5.0) -> None:
        self.key = key
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self._vapid = key.vapid()

    def payload(self, push: ResponderPush) -> str:
        """What the service worker shows: the push itself, compact JSON."""
        return json.dumps(push.model_dump(mode="json", exclude_none=True), ensure_ascii=False)

    def send_blocking(self, sub: Subscription, push: ResponderPush) -> int:
        urgency = "high" if push.kind in ("dispatch", "escalation") else "normal"
        try:
            resp = webpush(
                subscription_info=sub.model_dump(),
                data=self.payload(push),
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self.key.subject},
                content_encoding="aes128gcm",
                ttl=self.ttl_s,
                timeout=self.timeout_s,
                headers={"Urgency": urgency, "Topic": push.case_no[-32:]},
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status in (404, 410):
                raise SubscriptionGone(sub.endpoint) from None
            raise
        return int(getattr(resp, "status_code", 0))

    async def send(self, sub: Subscription, push: ResponderPush) -> int:
        return await asyncio.to_thread(self.send_blocking, sub, push)

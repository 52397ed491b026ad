"""A local stand-in for a browser vendor's push service, and a fake browser subscription.

The receiver records each request and answers 201 (or the status a test asks for); the
``BrowserSubscription`` holds the private half a real browser keeps, so a test can decrypt.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at_s: float = field(default_factory=time.time)  # when it arrived (Unix seconds)


@dataclass
class PushService:
    status: int = 201
    url: str = ""
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def start(self) -> str:
        svc = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                svc.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                svc.arrived.set()
                self.send_response(svc.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class BrowserSubscription:
    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def to_json(self) -> dict[str, Any]:
        pub = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64e(pub), "auth": b64e(self.auth)}}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        out: dict[str, Any] = json.loads(plain)
        return out


def verify_vapid(authorization: str, public_b64: str) -> dict[str, Any]:
    """Check a ``vapid t=JWT, k=KEY`` header: the key, and the JWT's ES256 signature; return claims."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme.lower() == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    assert parts["k"] == public_b64
    head_b64, claims_b64, sig_b64 = parts["t"].split(".")
    assert json.loads(b64d(head_b64))["alg"] == "ES256"
    sig = b64d(sig_b64)
    assert len(sig) == 64
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(public_b64))
    pub.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims: dict[str, Any] = json.loads(b64d(claims_b64))
    return claims

"""The webhook signature and retry schedule: pure, so a receiving system can check its own
code against ``tests/intake/test_webhook_signing.py``.

A delivery is a POST of a JSON body (UTF-8) with these headers:

- ``X-Gridwall-Timestamp``: seconds since the epoch when this attempt was sent (each retry is
  signed afresh);
- ``X-Gridwall-Signature``: ``v1=`` and the lowercase hex HMAC-SHA256, keyed with the shared
  secret, of the timestamp, a full stop and the body bytes exactly as received
  (``f"{timestamp}.".encode() + body``);
- ``X-Gridwall-Delivery``: the delivery's id, the same on every retry of it.

A receiver recomputes the HMAC, compares in constant time, refuses a timestamp further than a
few minutes from its own clock (a replay), and treats a delivery id it has seen as done (the
hub delivers at least once).
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP = "X-Gridwall-Timestamp"
SIGNATURE = "X-Gridwall-Signature"
DELIVERY = "X-Gridwall-Delivery"
VERSION = "v1"
TOLERANCE_S = 300


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Gridwall-Signature`` value of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def headers(secret: bytes, timestamp: int, body: bytes, delivery: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        TIMESTAMP: str(timestamp),
        SIGNATURE: signature(secret, timestamp, body),
        DELIVERY: delivery,
    }


def verify(
    secret: bytes,
    timestamp: str,
    sig: str,
    body: bytes,
    now_s: float,
    tolerance_s: int = TOLERANCE_S,
) -> str | None:
    """Why a delivery is not genuine (None if it is): what a receiver checks."""
    if not timestamp.isdigit():
        return f"timestamp {timestamp!r} is not a whole number of seconds"
    if abs(now_s - int(timestamp)) > tolerance_s:
        return f"timestamp {timestamp} is more than {tolerance_s} s from now: refused as a replay"
    if not hmac.compare_digest(sig, signature(secret, int(timestamp), body)):
        return "signature does not match the body and timestamp"
    return None


def backoff_ms(attempts: int, base_s: float, max_s: float) -> int:
    """Wait before the next try after ``attempts`` failed ones: base, doubled each time,
    capped at ``max_s``."""
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    return int(min(max_s, base_s * 2 ** min(attempts - 1, 30)) * 1000)

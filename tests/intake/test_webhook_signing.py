"""The webhook signature (a vector computed with ``openssl dgst -sha256 -hmac``), its check
and the retry schedule: table tests of ``hub.webhooks.signing``."""

from __future__ import annotations

import pytest

from hub.webhooks.signing import backoff_ms, headers, signature, verify

SECRET = b"a-secret-of-at-least-32-characters!!"
BODY = b'{"a":1}'
# printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'a-secret-of-at-least-32-characters!!'
OPENSSL = "3bcd5b98300541deddcc89092c7ac3e668c4ff793d2d4b3e5bfe085ac6708d44"


def test_signature_matches_openssl() -> None:
    assert signature(SECRET, 1_700_000_000, BODY) == f"v1={OPENSSL}"
    h = headers(SECRET, 1_700_000_000, BODY, "d-1")
    assert h["X-Gridwall-Signature"] == f"v1={OPENSSL}"
    assert (h["X-Gridwall-Timestamp"], h["X-Gridwall-Delivery"]) == ("1700000000", "d-1")


@pytest.mark.parametrize(
    ("ts", "sig", "body", "now", "why"),
    [
        ("1700000000", f"v1={OPENSSL}", BODY, 1_700_000_100, None),
        ("1700000000", f"v1={OPENSSL}", b'{"a":2}', 1_700_000_100, "does not match"),
        ("1700000001", f"v1={OPENSSL}", BODY, 1_700_000_100, "does not match"),
        ("1700000000", f"v1={OPENSSL}", BODY, 1_700_000_301, "replay"),
        ("1700000000", f"v1={OPENSSL}", BODY, 1_699_999_699, "replay"),
        ("17e8", f"v1={OPENSSL}", BODY, 1_700_000_000, "whole number"),
        ("1700000000", OPENSSL, BODY, 1_700_000_000, "does not match"),
    ],
)
def test_verify(ts: str, sig: str, body: bytes, now: float, why: str | None) -> None:
    got = verify(SECRET, ts, sig, body, now)
    assert (got is None) if why is None else (got is not None and why in got), got


@pytest.mark.parametrize(
    ("attempts", "base", "cap", "want_ms"),
    [
        (1, 5, 900, 5000),
        (2, 5, 900, 10_000),
        (4, 5, 900, 40_000),
        (9, 5, 900, 900_000),
        (200, 5, 900, 900_000),
        (1, 0.5, 1, 500),
    ],
)
def test_backoff_doubles_up_to_the_cap(
    attempts: int, base: float, cap: float, want_ms: int
) -> None:
    assert backoff_ms(attempts, base, cap) == want_ms


def test_backoff_needs_an_attempt() -> None:
    with pytest.raises(ValueError, match="attempts must be >= 1, got 0"):
        backoff_ms(0, 5, 900)

"""Place tokens: what a printed QR code carries, so a citizen's report knows its place.

A token names a grid (``g.{code}``) or a camera site (``c.{camera id}``) and is signed with
HMAC-SHA256 (``{kind}.{id}.{signature}``, signature base64url, 16 bytes): a citizen cannot
make one for a place no QR code was printed for, and a token never expires (it is on a
sticker). The key comes from the environment (``intake.place_key_env``) or, unset, is made
once and kept in Redis, so every hub process of a deployment shares it across restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

_TOKEN = re.compile(r"^([gc])\.([A-Za-z0-9_-]{1,40})\.([A-Za-z0-9_-]{22})$")


@dataclass(frozen=True)
class Place:
    kind: str
    """``grid`` or ``camera``."""
    id: str


class PlaceTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, place: Place) -> str:
        head = f"{place.kind[0]}.{place.id}"
        return f"{head}.{self._mac(head)}"

    def verify(self, token: str) -> Place | None:
        m = _TOKEN.match(token or "")
        if not m:
            return None
        head = f"{m[1]}.{m[2]}"
        if not hmac.compare_digest(self._mac(head), m[3]):
            return None
        return Place("grid" if m[1] == "g" else "camera", m[2])

    def _mac(self, head: str) -> str:
        digest = hmac.new(self._key, b"gridwall-place-v1|" + head.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:16]).decode().rstrip("=")


async def load_place_tokens(redis: Redis, prefix: str, env_var: str) -> PlaceTokens:
    given = os.environ.get(env_var, "")
    if given:
        if len(given) < 32:
            raise ValueError(f"${env_var} must be at least 32 characters")
        return PlaceTokens(hashlib.sha256(given.encode()).digest())
    key = f"{prefix}:intake:place_key"
    await redis.set(key, secrets.token_hex(32), nx=True)
    stored = await redis.get(key)
    raw = stored.decode() if isinstance(stored, bytes) else str(stored)
    return PlaceTokens(bytes.fromhex(raw))

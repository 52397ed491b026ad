"""One-time enrolment tokens in Redis: only a hash is stored, redeeming deletes it atomically."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis


class TokenRefused(ValueError):
    """The token is unknown, already used or expired (indistinguishable on purpose)."""


@dataclass(frozen=True)
class Grant:
    box_id: str
    issued_by: str
    expires_ms: int


class EnrolTokens:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.r = redis
        self.prefix = prefix

    def _key(self, token: str) -> str:
        return f"{self.prefix}:enrol:token:{hashlib.sha256(token.encode()).hexdigest()}"

    async def issue(
        self, box_id: str, issued_by: str, ttl_s: int, now_ms: int
    ) -> tuple[str, Grant]:
        token = f"gwe_{secrets.token_urlsafe(24)}"
        grant = Grant(box_id, issued_by, now_ms + ttl_s * 1000)
        await self.r.set(self._key(token), json.dumps(grant.__dict__), ex=ttl_s)
        return token, grant

    async def redeem(self, token: str) -> Grant:
        if not token.startswith("gwe_") or len(token) > 100:
            raise TokenRefused("not an enrolment token (they start with 'gwe_')")
        raw = await self.r.getdel(self._key(token))
        if raw is None:
            raise TokenRefused("enrolment token unknown, already used or expired")
        return Grant(**json.loads(raw))

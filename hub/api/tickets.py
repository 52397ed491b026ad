"""Tickets: short-lived, single-purpose signed credentials for URLs a browser fetches by
itself (``EventSource``, ``<img>``, ``<video>``, MJPEG), which cannot carry a header.

A page holding a bearer token asks ``POST /api/tickets`` for one and puts it in such a URL as
``?ticket=``. A ticket names its holder (name, role, person) and its expiry, and is signed
with HMAC-SHA256; it is accepted only on GET routes that serve streams and pictures
(``TICKET_ROUTES``), never on the JSON API, and only until it expires (``TICKET_TTL_S``). So
a ticket copied out of a log reads the holder's pictures and streams for minutes at most,
and a bearer token never appears in a URL.

The key is ``$GRIDWALL_HUB_TICKET_KEY`` when set (every hub process of one deployment must
share it), otherwise derived from the hub's whole token list, which hub processes share
already: nobody holding fewer than all tokens can compute it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.api.auth import Principal
from hub.domain.area import LEVELS, Area

TICKET_TTL_S = 300
KEY_ENV = "GRIDWALL_HUB_TICKET_KEY"
PURPOSE = "media"
TICKET_ROUTES = tuple(
    re.compile(p)
    for p in (
        r"^/api/stream$",
        r"^/api/push/live$",
        r"^/api/wall/walls/[^/]+/events$",
        r"^/api/wall/snapshots/[^/]+$",
        r"^/api/snapshots/[^/]+$",
        r"^/api/media/[^/]+$",
        r"^/video/[^/]+/(mjpeg|snapshot\.jpg|clip)$",
        r"^/video/cases/[^/]+/clip$",
        r"^/video/[^/]+/recordings/(segments/[0-9]+\.mp4|clip\.mp4)$",
    )
)


def ticket_route(method: str, path: str) -> bool:
    """Whether a ticket is accepted for this request: a GET of a stream or a picture."""
    return method in ("GET", "HEAD") and any(p.match(path) for p in TICKET_ROUTES)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ticket_key(tokens: Mapping[str, Principal], env: Mapping[str, str] | None = None) -> bytes:
    env = os.environ if env is None else env
    given = env.get(KEY_ENV, "")
    if given:
        if len(given) < 32:
            raise ValueError(f"${KEY_ENV} must be at least 32 characters")
        return hashlib.sha256(given.encode()).digest()
    lines = sorted(
        f"{t} {p.role} {p.person_id or ''}"
        + (f" area={p.area.code}" if p.area else "")
        + (f" department={p.department}" if p.department else "")
        for t, p in tokens.items()
    )
    return hmac.new(b"gridwall-ticket-key-v1", "\n".join(lines).encode(), "sha256").digest()


@dataclass(frozen=True)
class Claimed:
    """What a ticket says, before its signature is checked (for counting failures)."""

    name: str


class Tickets:
    def __init__(self, key: bytes, ttl_s: int = TICKET_TTL_S) -> None:
        self._key = key
        self.ttl_s = ttl_s

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), "sha256").digest())

    def issue(self, p: Principal, now_ms: int) -> tuple[str, int]:
        expires_ms = now_ms + self.ttl_s * 1000
        claims = {"n": p.name, "r": p.role, "p": p.person_id, "x": expires_ms, "u": PURPOSE}
        if p.area is not None:
            claims["a"] = p.area.code
        if p.department is not None:
            claims["d"] = p.department
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}", expires_ms

    def verify(self, ticket: str, now_ms: int) -> Principal | None:
        """The holder of a genuine, unexpired ticket; None for anything else."""
        body, _, sig = ticket.partition(".")
        if not sig or len(ticket) > 1000:
            return None
        if not hmac.compare_digest(sig, self._sign(body)):
            return None
        claims = _claims(body)
        if claims is None or claims.get("u") != PURPOSE or int(claims.get("x", 0)) < now_ms:
            return None
        code = claims.get("a")
        area = None
        if code is not None:  # signed by us; still, a malformed area is no ticket (fail closed)
            if not isinstance(code, str) or len(code) not in LEVELS:
                return None
            area = Area(LEVELS[len(code)], code)
        department = claims.get("d")
        if department is not None and not isinstance(department, str):
            return None
        return Principal(str(claims["n"]), str(claims["r"]), claims.get("p"), area, department)

    @staticmethod
    def claimed(ticket: str) -> Claimed | None:
        claims = _claims(ticket.partition(".")[0])
        return Claimed(str(claims["n"])[:80]) if claims and "n" in claims else None


def _claims(body: str) -> dict[str, Any] | None:
    try:
        claims = json.loads(_unb64(body))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None

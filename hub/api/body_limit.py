"""Request bodies are capped before anything reads them (ASGI middleware).

A body is refused with 413 as soon as it is known to be too large: at once when
``Content-Length`` says so (nothing is read), otherwise when the bytes read so far pass the
cap. The cap depends on who asks: a request without a credential the hub knows gets
``anonymous_bytes`` (enough for an enrolment redeem; a public route that takes a photo, a
citizen's report, its own ``anonymous_route_caps``), an authenticated one the route's cap
(``route_caps``, by exact path) or ``default_bytes``. So an unauthenticated client cannot make
the hub hold a large body, and nobody can make it hold more than the largest route needs.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes its cap. An ``HTTPException``, so FastAPI's
    body parsing passes it on as a 413 instead of turning it into a 400."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, f"request body over the {cap:,}-byte limit")
        self.cap = cap


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        default_bytes: int,
        anonymous_bytes: int,
        route_caps: dict[str, int] | None = None,
        anonymous_route_caps: dict[str, int] | None = None,
        authenticated: Callable[[Scope], bool],
    ) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self.anonymous_bytes = anonymous_bytes
        self.route_caps = route_caps or {}
        # public routes that take a photo without an account (a citizen's report)
        self.anonymous_route_caps = anonymous_route_caps or {}
        self.authenticated = authenticated

    def cap_for(self, scope: Scope) -> int:
        if not self.authenticated(scope):
            return self.anonymous_route_caps.get(scope.get("path", ""), self.anonymous_bytes)
        return self.route_caps.get(scope.get("path", ""), self.default_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _refuse(send, cap)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge(cap)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, cap)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, cap: int) -> None:
    body = f'{{"detail":"request body over the {cap:,}-byte limit"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

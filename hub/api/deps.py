"""Dependencies of the routes: the runtime and the caller's identity and role.

A caller proves who they are with ``Authorization: Bearer TOKEN``; streams and pictures
fetched by the browser itself also take ``?ticket=`` (``hub/api/tickets.py``). A token in
the URL (``?access_token=``) is refused: URLs end up in logs. Failed attempts are limited
per client and per identity (``hub/api/limits.py``): past the limit every attempt from there
gets 429, a right one too. A token with an area is refused the routes not yet filtered by
place (``hub/api/area_gate.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.api.area_gate import refuse_unscoped
from hub.api.auth import Principal
from hub.api.limits import FailureLimit
from hub.api.tickets import Tickets, ticket_route
from hub.runtime import HubRuntime

_bearer = HTTPBearer(auto_error=False)
CHALLENGE = {"WWW-Authenticate": "Bearer"}
NO_URL_TOKENS = (
    "tokens are not accepted in URLs (they end up in logs): send 'Authorization: Bearer "
    "TOKEN', or for a stream or picture a ?ticket= from POST /api/tickets"
)


def get_runtime(request: Request) -> HubRuntime:
    runtime: HubRuntime = request.app.state.runtime
    return runtime


def client_key(request: Request) -> str:
    return f"client:{request.client.host if request.client else '?'}"


def refuse_if_limited(limit: FailureLimit, *keys: str) -> None:
    wait = limit.retry_after_s(*keys)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(
            429,
            f"too many failed logins; try again in {seconds} s",
            {"Retry-After": str(seconds)},
        )


async def get_principal(
    request: Request,
    cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    state = request.app.state
    limit: FailureLimit = state.auth_limit
    client = client_key(request)
    ticket = None if cred else (request.query_params.get("ticket") or None)
    claimed = Tickets.claimed(ticket) if ticket else None
    keys = [client] + ([f"identity:{claimed.name}"] if claimed else [])
    refuse_if_limited(limit, *keys)
    if cred is not None:
        tokens: dict[str, Principal] = state.tokens
        known = tokens.get(cred.credentials)
        if known is not None:
            refuse_unscoped(request.url.path, known)
            return known
        limit.failed(client)
        raise HTTPException(401, "missing or unknown bearer token", CHALLENGE)
    if ticket is not None:
        if not ticket_route(request.method, request.url.path):
            raise HTTPException(
                401,
                "a ticket opens streams and pictures (GET) only: send 'Authorization: Bearer'",
                CHALLENGE,
            )
        tickets: Tickets = state.tickets
        holder = tickets.verify(ticket, int(time.time() * 1000))
        if holder is not None:
            refuse_unscoped(request.url.path, holder)
            return holder
        limit.failed(*keys)
        raise HTTPException(401, "ticket expired or not genuine: get a new one", CHALLENGE)
    if "access_token" in request.query_params or "token" in request.query_params:
        raise HTTPException(401, NO_URL_TOKENS, CHALLENGE)
    raise HTTPException(401, "missing or unknown bearer token", CHALLENGE)


def require(*roles: str) -> Callable[[Principal], Principal]:
    def check(p: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if p.role != "admin" and p.role not in roles:
            raise HTTPException(403, f"role {p.role!r} may not do this (needs {roles})")
        return p

    return check


Runtime = Annotated[HubRuntime, Depends(get_runtime)]
Anyone = Annotated[Principal, Depends(get_principal)]
Operator = Annotated[Principal, Depends(require("operator"))]
Technician = Annotated[Principal, Depends(require("technician", "operator"))]

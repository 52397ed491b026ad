"""Dependencies of the routes: the runtime and the caller's identity and role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.api.auth import Principal
from hub.runtime import HubRuntime

_bearer = HTTPBearer(auto_error=False)


def get_runtime(request: Request) -> HubRuntime:
    runtime: HubRuntime = request.app.state.runtime
    return runtime


def get_principal(
    request: Request,
    cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = cred.credentials if cred else request.query_params.get("access_token")
    tokens: dict[str, Principal] = request.app.state.tokens
    if not token or token not in tokens:
        raise HTTPException(401, "missing or unknown bearer token")
    return tokens[token]


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

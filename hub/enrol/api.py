"""Enrolment routes: a technician asks for a token; a box spends it (the token is its auth)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import Runtime, Technician, client_key, refuse_if_limited
from hub.api.limits import FailureLimit
from hub.enrol.service import EnrolError, EnrolService
from hub.enrol.tokens import TokenRefused

router = APIRouter(tags=["enrolment"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    box_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    ttl_s: Annotated[int, Field(ge=60, le=7 * 24 * 3600)] | None = None


class RedeemRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, Field(min_length=8, max_length=100)]


def service(request: Request) -> EnrolService:
    svc: EnrolService | None = getattr(request.app.state, "enrol", None)
    if svc is None:
        raise HTTPException(503, "enrolment is not running on this hub")
    return svc


@router.post("/api/enrol/tokens", status_code=201)
async def issue_token(
    body: TokenRequest, request: Request, rt: Runtime, p: Technician
) -> dict[str, Any]:
    try:
        token, grant = await service(request).issue(
            body.box_id, f"{p.role}:{p.name}", rt.clock.now_ms(), body.ttl_s
        )
    except EnrolError as exc:
        raise HTTPException(422, str(exc)) from None
    hub_url = str(request.base_url).rstrip("/")
    return {
        "box_id": grant.box_id,
        "token": token,
        "expires_ms": grant.expires_ms,
        "command": f"python -m edge enrol --hub {hub_url} --token {token}",
    }


@router.post("/api/enrol/redeem")
async def redeem(body: RedeemRequest, request: Request, rt: Runtime) -> dict[str, Any]:
    """Spend a token (the token is the box's only credential here, so a wrong one counts
    against the client like a failed login)."""
    limit: FailureLimit = request.app.state.auth_limit
    client = client_key(request)
    refuse_if_limited(limit, client)
    try:
        return await service(request).redeem(body.token, rt.clock.now_ms())
    except (TokenRefused, EnrolError) as exc:
        limit.failed(client)
        raise HTTPException(403, str(exc)) from None

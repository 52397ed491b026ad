"""Fleet routes: every box's health, fleet alarms, config/model rollouts, and the fleet page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from contracts.codec import ContractError
from hub.api.deps import Technician
from hub.fleet.service import FleetService

router = APIRouter(tags=["fleet"])
PAGE = Path(__file__).parent / "static" / "fleet.html"


class ConfigPush(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] = Field(
        description="keys of the box config to set (validated on the box)"
    )
    boxes: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]] | None = None
    group: Annotated[str, Field(max_length=64)] | None = None


def fleet(request: Request) -> FleetService:
    svc: FleetService | None = getattr(request.app.state, "fleet", None)
    if svc is None:
        raise HTTPException(503, "the fleet service is not running on this hub")
    return svc


@router.get("/api/fleet")
async def boxes(request: Request, _p: Technician) -> list[dict[str, Any]]:
    return [h.to_dict() for h in await fleet(request).health()]


@router.get("/api/fleet/alarms")
async def alarms(request: Request, _p: Technician) -> list[dict[str, Any]]:
    return await fleet(request).alarms()


@router.post("/api/fleet/config", status_code=202)
async def push_config(body: ConfigPush, request: Request, p: Technician) -> dict[str, Any]:
    try:
        return await fleet(request).push_config(
            body.config, f"{p.role}:{p.name}", body.boxes, body.group
        )
    except (ValueError, ContractError) as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/api/fleet/rollouts/{config_id}")
async def rollout(config_id: str, request: Request, _p: Technician) -> dict[str, Any]:
    got = await fleet(request).rollout(config_id)
    if got is None:
        raise HTTPException(404, f"no rollout {config_id!r}")
    return got


@router.get("/fleet", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(PAGE, media_type="text/html")

"""Zone editor routes (technicians): a camera's zones and map, a live check, the push, the
picture to draw on, and the editor's script. The fleet page opens the editor."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from contracts.cameras import Camera
from contracts.codec import ContractError
from hub.api.deps import Technician
from hub.zones.map_view import bounds_around, grids_in
from hub.zones.service import ZoneRefused, ZoneService

router = APIRouter(tags=["fleet"])
SCRIPT = Path(__file__).parent / "static" / "zone-editor.js"
CameraId = Annotated[str, PathParam(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class DrawnZones(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zones: list[Any] = Field(
        max_length=32, description="the camera's zones as drawn (the box's zone schema)"
    )


def zones_of(request: Request) -> ZoneService:
    svc: ZoneService | None = getattr(request.app.state, "zones", None)
    if svc is None:
        raise HTTPException(503, "the zone editor is not running on this hub")
    return svc


def _camera(svc: ZoneService, camera_id: str) -> Camera:
    cam = svc.camera(camera_id)
    if cam is None:
        raise HTTPException(404, f"no camera {camera_id!r}")
    return cam


@router.get("/api/fleet/cameras/{camera_id}/zones")
async def camera_zones(camera_id: CameraId, request: Request, _p: Technician) -> dict[str, Any]:
    """What the editor starts from: the zones the hub places alerts by, with their grids,
    the categories to pick from, and the grid map around the camera."""
    svc = zones_of(request)
    cam = _camera(svc, camera_id)
    zones = []
    for z in cam.zones:
        grid = svc.locate(z.target.lon, z.target.lat)
        zones.append(
            z.model_dump(mode="json")
            | {"grid_code": grid, "grid_name": svc.grid_names.get(grid or "")}
        )
    points = [(cam.mount.lon, cam.mount.lat)] + [(z.target.lon, z.target.lat) for z in cam.zones]
    bounds = bounds_around(points)
    return {
        "camera_id": cam.camera_id,
        "name": cam.name,
        "box_id": cam.box_id,
        "resolution_wh": list(cam.stream.detect_resolution_wh),
        "mount": cam.mount.model_dump(),
        "zones": zones,
        "categories": [
            {"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "rule": c.edge_rule}
            for c in svc.district.categories.values()
        ],
        "applied": await svc.applied(camera_id),
        "map": {"bounds": bounds, "grids": grids_in(svc.district.raw_geojson, bounds)},
    }


@router.post("/api/fleet/cameras/{camera_id}/zones/check")
async def check(
    camera_id: CameraId, body: DrawnZones, request: Request, _p: Technician
) -> dict[str, Any]:
    """The same checks as a push, nothing sent: each zone's grid and problems."""
    svc = zones_of(request)
    zones, checks = svc.check(_camera(svc, camera_id), body.zones)
    return {"ok": zones is not None, "zones": [c.to_dict(svc.grid_names) for c in checks]}


@router.post("/api/fleet/cameras/{camera_id}/zones", status_code=202)
async def push(
    camera_id: CameraId, body: DrawnZones, request: Request, p: Technician
) -> dict[str, Any]:
    """Send the zones to the camera's box; 422 naming every problem, nothing sent."""
    svc = zones_of(request)
    _camera(svc, camera_id)
    try:
        return await svc.push(camera_id, body.zones, f"{p.role}:{p.name}")
    except ZoneRefused as exc:
        raise HTTPException(422, str(exc)) from None
    except (ValueError, ContractError) as exc:
        raise HTTPException(422, str(exc)) from None
    except RuntimeError as exc:  # no MQTT link on this hub
        raise HTTPException(503, str(exc)) from None


@router.get("/api/fleet/cameras/{camera_id}/snapshot.jpg")
async def snapshot(camera_id: CameraId, request: Request, _p: Technician) -> Response:
    """The picture to draw on: a live frame from the hub's video relay when it carries this
    camera, else the newest alarm snapshot the box sent; 404 when there is neither."""
    svc = zones_of(request)
    _camera(svc, camera_id)
    jpeg = await _live_frame(request, camera_id)
    source = "live"
    if jpeg is None:
        jpeg, source = await svc.newest_snapshot(camera_id), "alarm"
    if jpeg is None:
        raise HTTPException(404, f"no picture of {camera_id!r} yet (no video relay, no alarm)")
    headers = {"Cache-Control": "no-store", "X-Picture-Source": source}
    return Response(jpeg, media_type="image/jpeg", headers=headers)


async def _live_frame(request: Request, camera_id: str) -> bytes | None:
    registry = getattr(request.app.state, "video", None)
    if registry is None or camera_id not in registry.settings.cameras:
        return None
    from hub.video.media import MediaError, jpeg_of_last
    from hub.video.registry import VideoError

    try:
        info = await registry.info(camera_id, "main")
        relay = registry.relay(camera_id, "main")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(relay.keyframe_seen.wait(), timeout=3)
        jpeg: bytes = await asyncio.to_thread(jpeg_of_last, info.codec, list(relay.last_gop))
        return jpeg
    except (VideoError, MediaError):
        return None


@router.get("/fleet/zone-editor.js", include_in_schema=False)
async def script() -> FileResponse:
    return FileResponse(SCRIPT, media_type="text/javascript")

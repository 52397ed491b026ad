"""HTTP routes of the wall: the pages, the wall API and its live stream. Thin: the
service does the work; errors become 404 (unknown name) or 422 (a bad value, named)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from hub.domain.wall_rules import WallRuleError
from hub.wall.alarm_desk import AlarmDesk
from hub.wall.codec import (
    AssignBody,
    ConfirmBody,
    LayoutBody,
    Name,
    RejectBody,
    SceneBody,
    TourBody,
    WallSpec,
)
from hub.wall.service import WallNotFound, WallService

if TYPE_CHECKING:
    from hub.wall.app import WallParts

UI_DIR = Path(__file__).resolve().parents[2] / "wall_ui"
T = TypeVar("T")


async def _call(job: Awaitable[T]) -> T:
    try:
        return await job
    except WallNotFound as exc:
        raise HTTPException(404, f"no wall named {exc.args[0]!r}") from None
    except KeyError as exc:
        raise HTTPException(404, f"not found: {exc.args[0]!r}") from None
    except (WallRuleError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from None


def build_router(
    get_parts: Callable[[], WallParts], auth: Callable[..., Any] | None = None
) -> APIRouter:
    """The pages (public, they hold no data) and the wall API (behind ``auth`` if given:
    the hub passes its operator check; a kiosk passes its token as ``?token=`` once)."""
    pages = APIRouter()

    def get_service() -> WallService:
        return get_parts().service

    def get_desk() -> AlarmDesk:
        return get_parts().desk

    def nobody() -> None:
        return None

    # who confirms or rejects: the hub's authenticated operator, for the audit trail
    caller = Depends(auth or nobody)  # a local dependency: annotations here are strings

    @pages.get("/wall/", include_in_schema=False)
    async def wall_page() -> FileResponse:
        return FileResponse(UI_DIR / "wall.html")

    @pages.get("/console/", include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(UI_DIR / "console.html")

    r = APIRouter(tags=["wall"], dependencies=[Depends(auth)] if auth else [])

    @r.get("/api/wall/walls")
    async def walls() -> list[str]:
        return await get_service().store.walls()

    @r.put("/api/wall/walls/{wall}")
    async def define(wall: Name, spec: WallSpec) -> dict[str, Any]:
        return await _call(get_service().define_wall(wall, spec))

    @r.get("/api/wall/walls/{wall}")
    async def payload(wall: Name) -> dict[str, Any]:
        return await _call(get_service().payload(wall))

    @r.get("/api/wall/walls/{wall}/events")
    async def events(wall: Name, request: Request) -> StreamingResponse:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(
            get_parts().live.stream(wall), media_type="text/event-stream", headers=headers
        )

    @r.put("/api/wall/walls/{wall}/monitors/{monitor}/layout", status_code=204)
    async def layout(wall: Name, monitor: int, body: LayoutBody) -> None:
        await _call(get_service().set_layout(wall, monitor, body.layout))

    @r.put("/api/wall/walls/{wall}/monitors/{monitor}/tiles/{slot}", status_code=204)
    async def assign(wall: Name, monitor: int, slot: int, body: AssignBody) -> None:
        await _call(get_service().assign(wall, monitor, slot, body.camera_id))

    @r.post("/api/wall/walls/{wall}/scene/{name}", status_code=204)
    async def show_scene(wall: Name, name: Name) -> None:
        await _call(get_service().apply_scene(wall, name))

    @r.post("/api/wall/walls/{wall}/tour/{name}", status_code=204)
    async def start_tour(wall: Name, name: Name) -> None:
        await _call(get_service().start_tour(wall, name))

    @r.delete("/api/wall/walls/{wall}/tour", status_code=204)
    async def stop_tour(wall: Name) -> None:
        await _call(get_service().start_tour(wall, None))

    @r.get("/api/wall/scenes")
    async def scenes() -> dict[str, Any]:
        return await get_service().store.named("scenes")

    @r.put("/api/wall/scenes/{name}", status_code=204)
    async def save_scene(name: Name, body: SceneBody) -> None:
        await _call(get_service().save_scene(name, body))

    @r.get("/api/wall/tours")
    async def tours() -> dict[str, Any]:
        return await get_service().store.named("tours")

    @r.put("/api/wall/tours/{name}", status_code=204)
    async def save_tour(name: Name, body: TourBody) -> None:
        await _call(get_service().save_tour(name, body))

    @r.get("/api/wall/alarms")
    async def queue() -> list[dict[str, Any]]:
        return await get_desk().verification_queue()

    @r.post("/api/wall/alarms/{alarm_id}/confirm")
    async def confirm(alarm_id: str, body: ConfirmBody, who: Any = caller) -> dict[str, Any]:
        body = body.model_copy(update={"actor": getattr(who, "name", body.actor)})
        return await _call(get_desk().confirm(alarm_id, body))

    @r.post("/api/wall/alarms/{alarm_id}/reject")
    async def reject(alarm_id: str, body: RejectBody, who: Any = caller) -> dict[str, Any]:
        body = body.model_copy(update={"actor": getattr(who, "name", body.actor)})
        return await _call(get_desk().reject(alarm_id, body))

    @r.post("/api/wall/alarms/{alarm_id}/ack", status_code=204)
    async def ack(alarm_id: str) -> None:
        await _call(get_desk().acknowledge(alarm_id))

    @r.get("/api/wall/feedback")
    async def feedback() -> list[dict[str, Any]]:
        return await get_service().store.feedback()

    @r.get("/api/wall/snapshots/{snapshot_id}")
    async def snapshot(snapshot_id: str) -> Response:
        rt = get_parts().rt
        jpeg = await rt.redis.get(rt.keys.snapshot(snapshot_id))
        if not isinstance(jpeg, bytes):
            raise HTTPException(404, f"no snapshot {snapshot_id!r}")
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})

    @r.get("/api/wall/fleet")
    async def fleet() -> list[dict[str, Any]]:
        return await get_service().fleet_alarms()

    @r.get("/api/wall/district")
    async def district() -> dict[str, Any]:
        d = get_service().district
        return {
            "county": d.county.model_dump(),
            "streets": {c: s.model_dump() for c, s in d.streets.items()},
            "communities": {c: s.model_dump() for c, s in d.communities.items()},
            "categories": {c: s.model_dump() for c, s in d.categories.items()},
            "grids": d.raw_geojson,
            "cameras": await get_service().cameras(),
        }

    pages.include_router(r)
    return pages


def mount_wall(app: FastAPI, router: APIRouter) -> None:
    """Add the wall's routes and its static assets (``/ui/``) to a hub app."""
    app.include_router(router)
    app.mount("/ui", StaticFiles(directory=UI_DIR), name="wall-ui")

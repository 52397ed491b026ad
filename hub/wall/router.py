"""HTTP routes of the wall: the pages, the wall API and its live stream. Thin: the
service does the work; errors become 404 (unknown name) or 422 (a bad value, named).

A caller whose token has an area (a street's room) opens only the walls of its area
(``hub.wall.area.within``), sees only its place's alarms, snapshots and cameras, and may not
apply scenes or tours (they name cameras of the whole county): another place's wall or
alarm is 404, like one that does not exist."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from hub.domain.area import Area
from hub.domain.camera_catalogue import STATUSES, CameraQuery, CatalogueError
from hub.domain.camera_map import BBox, MapError
from hub.domain.wall_rules import WallRuleError
from hub.wall.alarm_desk import AlarmDesk
from hub.wall.area import within
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

    def area_of(who: Any) -> Area | None:
        area: Area | None = getattr(who, "area", None)
        return area

    async def own_wall(wall: str, who: Any) -> None:
        """404 for a wall outside the caller's area (as for one that does not exist); a
        wall that does not exist is left to the route (not found, or defined now)."""
        if area_of(who) is None or await get_service().store.spec(wall) is None:
            return
        if not within(area_of(who), await get_service().wall_area(wall)):
            raise HTTPException(404, f"no wall named {wall!r}")

    async def own_alarm(alarm_id: str, who: Any) -> None:
        if area_of(who) is None:
            return
        detail = await get_service().store.alarm(alarm_id)
        if detail is None or not get_service().areas.shows(area_of(who), detail.get("grid_code")):
            raise HTTPException(404, f"not found: {alarm_id!r}")

    def no_county_scenes(who: Any) -> None:
        if area_of(who) is not None:
            raise HTTPException(403, "scenes and tours name the whole county's cameras")

    @pages.get("/wall/", include_in_schema=False)
    async def wall_page() -> FileResponse:
        return FileResponse(UI_DIR / "wall.html")

    @pages.get("/console/", include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(UI_DIR / "console.html")

    r = APIRouter(tags=["wall"], dependencies=[Depends(auth)] if auth else [])

    @r.get("/api/wall/walls")
    async def walls(who: Any = caller) -> list[str]:
        names = await get_service().store.walls()
        if area_of(who) is None:
            return names
        service = get_service()
        return [w for w in names if within(area_of(who), await service.wall_area(w))]

    @r.put("/api/wall/walls/{wall}")
    async def define(wall: Name, spec: WallSpec, who: Any = caller) -> dict[str, Any]:
        if area_of(who) is not None:
            await own_wall(wall, who)
            try:
                inside = within(area_of(who), get_service().areas.parse(spec.area))
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None
            if not inside:
                raise HTTPException(403, f"this token's walls need an area inside {area_of(who)}")
        return await _call(get_service().define_wall(wall, spec))

    @r.get("/api/wall/walls/{wall}")
    async def payload(wall: Name, who: Any = caller) -> dict[str, Any]:
        await own_wall(wall, who)
        return await _call(get_service().payload(wall))

    @r.get("/api/wall/walls/{wall}/events")
    async def events(wall: Name, request: Request, who: Any = caller) -> StreamingResponse:
        await own_wall(wall, who)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(
            get_parts().live.stream(wall), media_type="text/event-stream", headers=headers
        )

    @r.put("/api/wall/walls/{wall}/monitors/{monitor}/layout", status_code=204)
    async def layout(wall: Name, monitor: int, body: LayoutBody, who: Any = caller) -> None:
        await own_wall(wall, who)
        await _call(get_service().set_layout(wall, monitor, body.layout))

    @r.put("/api/wall/walls/{wall}/monitors/{monitor}/tiles/{slot}", status_code=204)
    async def assign(
        wall: Name, monitor: int, slot: int, body: AssignBody, who: Any = caller
    ) -> None:
        await own_wall(wall, who)
        await _call(get_service().assign(wall, monitor, slot, body.camera_id))

    @r.post("/api/wall/walls/{wall}/scene/{name}", status_code=204)
    async def show_scene(wall: Name, name: Name, who: Any = caller) -> None:
        no_county_scenes(who)
        await _call(get_service().apply_scene(wall, name))

    @r.post("/api/wall/walls/{wall}/tour/{name}", status_code=204)
    async def start_tour(wall: Name, name: Name, who: Any = caller) -> None:
        no_county_scenes(who)
        await _call(get_service().start_tour(wall, name))

    @r.delete("/api/wall/walls/{wall}/tour", status_code=204)
    async def stop_tour(wall: Name, who: Any = caller) -> None:
        no_county_scenes(who)
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

    async def all_alarms(who: Any) -> list[dict[str, Any]]:
        shows = get_service().areas.shows
        return [
            a
            for a in await get_desk().verification_queue()
            if shows(area_of(who), a.get("grid_code"))
        ]

    @r.get("/api/wall/alarms")
    async def queue(
        response: Response,
        who: Any = caller,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        """The wall's alarms, most severe then oldest first, one page (``X-Total-Count``
        says how many there are: under a storm, a thousand and more)."""
        alarms = await all_alarms(who)
        response.headers["X-Total-Count"] = str(len(alarms))
        return alarms[offset : offset + limit]

    @r.post("/api/wall/alarms/{alarm_id}/confirm")
    async def confirm(alarm_id: str, body: ConfirmBody, who: Any = caller) -> dict[str, Any]:
        await own_alarm(alarm_id, who)
        body = body.model_copy(update={"actor": getattr(who, "name", body.actor)})
        return await _call(get_desk().confirm(alarm_id, body))

    @r.post("/api/wall/alarms/{alarm_id}/reject")
    async def reject(alarm_id: str, body: RejectBody, who: Any = caller) -> dict[str, Any]:
        await own_alarm(alarm_id, who)
        body = body.model_copy(update={"actor": getattr(who, "name", body.actor)})
        return await _call(get_desk().reject(alarm_id, body))

    @r.post("/api/wall/alarms/{alarm_id}/ack", status_code=204)
    async def ack(alarm_id: str, who: Any = caller) -> None:
        await own_alarm(alarm_id, who)
        await _call(get_desk().acknowledge(alarm_id))

    @r.get("/api/wall/feedback")
    async def feedback() -> list[dict[str, Any]]:
        return await get_service().store.feedback()

    @r.get("/api/wall/snapshots/{snapshot_id}")
    async def snapshot(snapshot_id: str, who: Any = caller) -> Response:
        if area_of(who) is not None:  # only a snapshot of an alarm on its place's walls
            shown = [a.get("snapshot_id") for a in await all_alarms(who)]
            if snapshot_id not in shown:
                raise HTTPException(404, f"no snapshot {snapshot_id!r}")
        rt = get_parts().rt
        jpeg = await rt.redis.get(rt.keys.snapshot(snapshot_id))
        if not isinstance(jpeg, bytes):
            raise HTTPException(404, f"no snapshot {snapshot_id!r}")
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})

    @r.get("/api/wall/fleet")
    async def fleet() -> list[dict[str, Any]]:
        return await get_service().fleet_alarms()

    @r.get("/api/wall/district")
    async def district(who: Any = caller) -> dict[str, Any]:
        d = get_service().district
        return {
            "county": d.county.model_dump(),
            "streets": {c: s.model_dump() for c, s in d.streets.items()},
            "communities": {c: s.model_dump() for c, s in d.communities.items()},
            "categories": {c: s.model_dump() for c, s in d.categories.items()},
            "grids": d.raw_geojson,
            "camera_count": len(d.cameras),  # the cameras: /api/wall/cameras, a page at a time
        }

    @r.get("/api/wall/cameras")
    async def cameras(
        who: Any = caller,
        q: Annotated[str, Query(max_length=64)] = "",
        area: Annotated[str | None, Query(pattern=r"^[0-9]{6,15}$")] = None,
        status: Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """One page of the cameras a query matches (the picker): words of ``q`` in the id,
        name, box or grid, a place (street, community or grid code), a status."""
        service = get_service()
        try:
            query = CameraQuery(q=q, status=status, limit=limit, offset=offset)
            asked = service.areas.parse(area)
        except (CatalogueError, ValueError) as exc:
            raise HTTPException(422, str(exc)) from None
        allowed = service.catalogue.allowed(area_of(who), asked)
        return service.catalogue.search(query, await service.camera_status(), allowed)

    @r.get("/api/wall/cameras/map")
    async def camera_map(
        who: Any = caller,
        bbox: Annotated[str | None, Query(max_length=120)] = None,
        wall: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = None,
    ) -> dict[str, Any]:
        """The map's cameras in a view (``bbox`` west,south,east,north; none: the whole
        district), of ``wall``'s area when given: pins up to ``wall.map_max_pins``,
        clusters beyond."""
        service = get_service()
        try:
            view = BBox.parse(bbox) if bbox else None
        except MapError as exc:
            raise HTTPException(422, str(exc)) from None
        place = None
        if wall is not None:
            await own_wall(wall, who)
            if await service.store.spec(wall) is None:
                raise HTTPException(404, f"no wall named {wall!r}")
            place = await service.wall_area(wall)
        allowed = service.catalogue.allowed(area_of(who), place)
        statuses = await service.camera_status()
        max_pins = get_parts().rt.settings.wall.map_max_pins
        return service.catalogue.map(view, statuses, allowed, max_pins)

    pages.include_router(r)
    return pages


def mount_wall(app: FastAPI, router: APIRouter) -> None:
    """Add the wall's routes and its static assets (``/ui/``) to a hub app."""
    app.include_router(router)
    app.mount("/ui", StaticFiles(directory=UI_DIR), name="wall-ui")

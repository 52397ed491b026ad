"""Staff routes of intake: a grid member's patrol report, an operator's case, the citizens'
triage queue, printable place tokens (the 12345 / department import is ``imports.py``).

Every route checks the whole report (category, place, photos, reference) before anything is
stored, and files it through ``IntakeService.file``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import Anyone, Operator, Runtime
from hub.api.scope import camera_in_area, in_area, sees_case
from hub.domain.case_state import TransitionError
from hub.intake.deps import Intake, Places, http_error, read_photos
from hub.intake.exif import read_exif
from hub.intake.place_tokens import Place
from hub.intake.qr import place_qr_svg
from hub.intake.rules import (
    IntakeRejected,
    Report,
    check_category,
    check_photo_count,
    place_in_grid,
)
from hub.intake.service import Filed
from hub.push.photos import Photo
from hub.runtime import HubRuntime
from hub.services.cases import case_summary
from hub.store.cases import Conflict
from hub.store.keys import text

router = APIRouter(tags=["intake"])
PATROL_PATH = "/api/intake/patrol"
OPERATOR_PATH = "/api/intake/operator"
Ref = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,80}$")]


def result(f: Filed) -> dict[str, Any]:
    return {"case_no": f.case_no, "outcome": f.outcome, "state": f.state, "sources": f.sources}


def _point(
    rt: HubRuntime, lon: float | None, lat: float | None, photos: list[Photo]
) -> tuple[float, float, str]:
    """The report's point (given, else the first photo's EXIF position) and its grid."""
    if lon is None or lat is None:
        for ph in photos:
            ex = read_exif(ph.data)
            if ex.lon is not None and ex.lat is not None:
                lon, lat = ex.lon, ex.lat
                break
    if lon is None or lat is None:
        raise IntakeRejected("no position: send lon and lat (or a photo with GPS in its EXIF)")
    return lon, lat, place_in_grid(lon, lat, rt.district.grid_index.locate)


@router.post(PATROL_PATH)
async def patrol_report(
    rt: Runtime,
    intake: Intake,
    p: Anyone,
    report_id: Annotated[str, Form(pattern=r"^[A-Za-z0-9_-]{8,64}$")],
    category: Annotated[str, Form()],
    photos: Annotated[list[UploadFile] | None, File()] = None,
    after_photos: Annotated[list[UploadFile] | None, File()] = None,
    lon: Annotated[float | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    note: Annotated[str | None, Form(max_length=2000)] = None,
    on_the_spot: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """A grid member's patrol report (multipart). ``report_id`` is made by the app, so a
    report sent again after being offline is the same report. ``on_the_spot`` (随手办) with an
    after-photo closes the case at once; otherwise it is dispatched by the routing table."""
    if p.role not in ("responder", "admin") or not p.person_id:
        raise HTTPException(403, "patrol reports come from grid members (a responder token)")
    s = rt.settings.intake
    try:
        check_category(category, rt.district.categories)
        before = await read_photos(photos, s, "photos")
        after = await read_photos(after_photos, s, "after-photos")
        check_photo_count("grid_member", on_the_spot, len(before), len(after))
        x, y, grid = _point(rt, lon, lat, before)
        report = Report(
            source="grid_member",
            ref=report_id,
            category=category,
            lon=x,
            lat=y,
            grid_code=grid,
            actor=f"responder:{p.person_id}",
            note=note,
            reporter=p.person_id,
            on_the_spot=on_the_spot,
        )
        return result(await intake.file(report, before, after))
    except IntakeRejected as exc:
        raise http_error(exc) from None


@router.get("/api/intake/categories")
async def categories(rt: Runtime, p: Anyone) -> list[dict[str, str]]:
    """The categories a report may name, with their owners (for the apps' forms)."""
    out = []
    for c in rt.district.categories.values():
        owner = rt.ctx.owners.owner_of(c.code)
        out.append(
            {
                "code": c.code,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "department": owner.department,
                "platform": owner.platform,
            }
        )
    return out


@router.post(OPERATOR_PATH)
async def operator_case(
    rt: Runtime,
    intake: Intake,
    p: Operator,
    request_id: Annotated[str, Form(pattern=r"^[A-Za-z0-9_-]{8,64}$")],
    category: Annotated[str, Form()],
    lon: Annotated[float | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    via: Annotated[Literal["call", "wall"], Form()] = "call",
    note: Annotated[str | None, Form(max_length=2000)] = None,
    caller_phone: Annotated[str | None, Form(pattern=r"^[0-9+ -]{3,20}$")] = None,
    camera_id: Annotated[str | None, Form(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = None,
    snapshot_id: Annotated[str | None, Form(pattern=r"^[A-Za-z0-9_.-]{1,80}$")] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> dict[str, Any]:
    """An operator files a case: from a phone call (``lon``, ``lat`` of the place the caller
    names), or from a wall tile (``via=wall`` with the tile's camera, whose zone gives the
    place unless ``lon``/``lat`` say otherwise, and the still it showed: an alarm's
    ``snapshot_id`` kept on the hub, or a live still sent as a photo), kept as evidence."""
    s = rt.settings.intake
    try:
        check_category(category, rt.district.categories)
        facts: dict[str, Any] = {"via": via}
        if caller_phone:
            facts["caller_phone"] = caller_phone
        cam = rt.district.cameras.get(camera_id or "")
        if via == "wall" and cam is None:
            raise IntakeRejected(f"a case from the wall names its tile's camera: {camera_id!r}")
        if (lon is None or lat is None) and cam is not None:
            lon, lat = cam.zones[0].target.lon, cam.zones[0].target.lat
        if lon is None or lat is None:
            raise IntakeRejected("no position: send lon and lat (or the tile's camera_id)")
        grid = place_in_grid(lon, lat, rt.district.grid_index.locate)
        if not in_area(rt, p, grid):
            raise IntakeRejected(f"({lon}, {lat}) is in grid {grid}, outside your area", 403)
        snap_key = rt.keys.snapshot(snapshot_id) if snapshot_id else None
        if snap_key and not await rt.redis.exists(snap_key):
            raise IntakeRejected(f"no still {snapshot_id!r} on the hub (expired?)", 404)
        before = await read_photos(photos, s, "photos")
        if cam is not None:
            facts["camera_still"] = {"camera_id": cam.camera_id}
            if snap_key:
                facts["camera_still"]["snapshot_id"] = snapshot_id
        if snap_key:  # the still is evidence now: kept as long as verification evidence
            await rt.redis.expire(snap_key, rt.settings.verification.evidence_days * 86_400)
        report = Report(
            source="operator",
            ref=request_id,
            category=category,
            lon=lon,
            lat=lat,
            grid_code=grid,
            actor=f"{p.role}:{p.name}",
            note=note,
            facts=facts,
        )
        return result(await intake.file(report, before))
    except IntakeRejected as exc:
        raise http_error(exc) from None


@router.get("/api/intake/triage")
async def triage_queue(rt: Runtime, p: Operator, limit: int = 200) -> list[dict[str, Any]]:
    """Citizens' reports waiting for an operator, oldest first, with their note, phone,
    place and photo ids (``GET /api/media/{id}``); a token with an area or a department
    gets the reports in it."""
    raw: Any = await rt.redis.zrange(rt.keys.triage, 0, max(1, min(limit, 1000)) - 1)
    out = []
    for rec in await rt.store.records([text(x) for x in raw]):
        if not sees_case(rt, p, rec):
            continue
        facts = (await rt.store.view(rec["case_no"])).facts
        out.append(
            case_summary(rec)
            | {
                "note": facts.get("note"),
                "phone": facts.get("phone"),
                "place": (facts.get("place") or {}).get("name"),
                "photos": [m["media_id"] for m in facts.get("media") or []],
            }
        )
    return out


class TriageDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["file", "reject"]
    reason: str | None = Field(default=None, max_length=500)


@router.post("/api/intake/triage/{no}")
async def triage_decide(
    no: str, body: TriageDecision, rt: Runtime, intake: Intake, p: Operator
) -> dict[str, Any]:
    waiting = await rt.redis.zscore(rt.keys.triage, no) is not None
    if not waiting or not sees_case(rt, p, await rt.store.record(no)):
        raise HTTPException(404, f"case {no!r} is not in the triage queue")
    actor = f"{p.role}:{p.name}"
    try:
        if body.decision == "file":
            view = await intake.file_from_triage(no, actor, body.reason)
        else:
            if not body.reason:
                raise HTTPException(422, "rejecting a citizen's report needs a reason")
            view = await rt.cases.act(no, "reject", actor, reason=body.reason)
    except (TransitionError, Conflict) as exc:
        raise HTTPException(409, str(exc)) from None
    merged = (await rt.store.record(no)).get("merged_into")
    return {
        "case_no": no,
        "state": view.state,
        "assignees": list(view.assignees),
        "merged_into": merged,
    }


@router.get("/api/intake/place-token")
async def place_token(
    rt: Runtime,
    places: Places,
    p: Operator,
    grid: str | None = None,
    camera: str | None = None,
) -> dict[str, str]:
    """The token (and page address) to print as a QR code for a grid or a camera site."""
    if (grid is None) == (camera is None):
        raise HTTPException(422, "name one place: ?grid=CODE or ?camera=ID")
    if grid is not None and (grid not in rt.district.grids or not in_area(rt, p, grid)):
        raise HTTPException(404, f"no grid {grid!r}" + (" in your area" if p.area else ""))
    if camera is not None and (
        camera not in rt.district.cameras or not camera_in_area(rt, p, camera)
    ):
        raise HTTPException(404, f"no camera {camera!r}" + (" in your area" if p.area else ""))
    place = Place("grid", grid) if grid is not None else Place("camera", str(camera))
    token = places.sign(place)
    return {"token": token, "path": f"/report/?place={token}"}


@router.get("/api/intake/place-qr.svg")
async def place_qr(
    request: Request,
    rt: Runtime,
    places: Places,
    p: Operator,
    grid: str | None = None,
    camera: str | None = None,
) -> Response:
    """The printable QR code (SVG) of a grid's or a camera site's report page, with the
    place's name and the address under it."""
    got = await place_token(rt, places, p, grid, camera)
    base = rt.settings.intake.public_url or str(request.base_url).rstrip("/")
    title = rt.district.grids[grid].name_zh if grid else rt.district.cameras[str(camera)].name
    return Response(place_qr_svg(base + got["path"], title), media_type="image/svg+xml")

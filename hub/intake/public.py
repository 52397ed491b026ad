"""Public routes for citizens: no account, a place token from a printed QR code.

``GET /public/places/{token}`` tells the page its place and the categories in plain words;
``POST /public/reports`` files a report (photo required, size-capped, rate-limited per client
address) into the operators' triage queue, never straight to dispatch; ``GET
/public/cases/{no}`` says how a case stands in plain words, nothing about people or places.
The page itself is ``/report/?place=TOKEN`` (``hub/intake/static``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.staticfiles import StaticFiles

from hub.api.deps import Runtime, client_key
from hub.intake.deps import Intake, Places, http_error, read_photos
from hub.intake.place_tokens import Place
from hub.intake.rules import (
    PUBLIC_STATES,
    IntakeRejected,
    Report,
    check_category,
    check_photo_count,
    place_in_grid,
)
from hub.runtime import HubRuntime
from hub.store.keys import text_map

router = APIRouter(tags=["public"])
REPORT_PATH = "/public/reports"
STATIC = Path(__file__).resolve().parent / "static"


async def _limit(rt: HubRuntime, request: Request, what: str, allowed: int) -> None:
    """Count one request of this client address in the current window; 429 past ``allowed``."""
    window = rt.settings.intake.public_window_s
    slot = rt.clock.now_ms() // 1000 // window
    key = f"{rt.keys.prefix}:intake:rate:{what}:{client_key(request)}:{slot}"
    async with rt.redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window)
        n, _ = await pipe.execute()
    if int(n) > allowed:
        raise HTTPException(
            429,
            f"too many {what} from this address: at most {allowed} per {window} s",
            {"Retry-After": str(window)},
        )


def _place(rt: HubRuntime, places: Places, token: str) -> tuple[Place, str, float, float]:
    """The place a token names, its name and the point a report without GPS takes."""
    place = places.verify(token)
    if place is None:
        raise IntakeRejected("this QR code is not one of ours (unknown place token)", 404)
    if place.kind == "grid":
        grid = rt.district.grids.get(place.id)
        if grid is None:
            raise IntakeRejected(f"the place of this QR code ({place.id}) no longer exists", 404)
        pt = grid.polygon.representative_point()
        return place, grid.name_zh, float(pt.x), float(pt.y)
    cam = rt.district.cameras.get(place.id)
    if cam is None or not cam.zones:
        raise IntakeRejected(f"the place of this QR code ({place.id}) no longer exists", 404)
    target = cam.zones[0].target
    return place, cam.name, target.lon, target.lat


@router.get("/public/places/{token}")
async def place_info(token: str, rt: Runtime, places: Places) -> dict[str, Any]:
    try:
        place, name, _, _ = _place(rt, places, token)
    except IntakeRejected as exc:
        raise http_error(exc) from None
    cats = [
        {"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en}
        for c in rt.district.categories.values()
    ]
    return {"place": {"kind": place.kind, "id": place.id, "name": name}, "categories": cats}


@router.post(REPORT_PATH, status_code=201)
async def citizen_report(
    request: Request,
    rt: Runtime,
    intake: Intake,
    places: Places,
    place: Annotated[str, Form(max_length=100)],
    form_id: Annotated[str, Form(pattern=r"^[A-Za-z0-9_-]{16,64}$")],
    category: Annotated[str, Form(max_length=10)],
    photos: Annotated[list[UploadFile] | None, File()] = None,
    lon: Annotated[float | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    phone: Annotated[str | None, Form(pattern=r"^[0-9+ -]{5,20}$")] = None,
    note: Annotated[str | None, Form(max_length=500)] = None,
) -> dict[str, Any]:
    """A citizen's report. ``form_id`` is made once per filled-in form by the page: the same
    form sent again is refused (409) and nothing is stored."""
    s = rt.settings.intake
    await _limit(rt, request, "reports", s.public_reports_per_window)
    try:
        where, name, x, y = _place(rt, places, place)
        check_category(category, rt.district.categories)
        before = await read_photos(photos, s, "photos")
        check_photo_count("public", False, len(before), 0)
        if (lon is None) != (lat is None):
            raise IntakeRejected("send both lon and lat, or neither (the QR code's place)")
        if lon is not None and lat is not None:
            x, y = lon, lat
        grid = place_in_grid(x, y, rt.district.grid_index.locate)
        facts: dict[str, Any] = {"place": {"kind": where.kind, "id": where.id, "name": name}}
        if phone:
            facts["phone"] = phone
        report = Report(
            source="public",
            ref=form_id,
            category=category,
            lon=x,
            lat=y,
            grid_code=grid,
            actor="public",
            note=note,
            facts=facts,
        )
        filed = await intake.file(report, before)
    except IntakeRejected as exc:
        raise http_error(exc) from None
    return {"case_no": filed.case_no, "status": PUBLIC_STATES.get(filed.state, filed.state)}


@router.get("/public/cases/{no}")
async def case_progress(no: str, request: Request, rt: Runtime) -> dict[str, Any]:
    """How a case stands, in plain words; nothing about people, places or phone numbers."""
    await _limit(rt, request, "look-ups", rt.settings.intake.public_lookups_per_window)
    rec = text_map(await rt.redis.hgetall(rt.keys.case(no))) if no.isdigit() else {}
    if not rec:
        raise HTTPException(404, f"no case {no!r}")
    cat = rt.district.categories.get(rec.get("category", ""))
    state = rec.get("state", "")
    return {
        "case_no": no,
        "status": PUBLIC_STATES.get(state, "being handled"),
        "category": cat.name_zh if cat else None,
        "reported_ms": int(rec.get("created_ms", 0)),
        "done": state in ("verified", "closed", "evaluated"),
        "merged_into": rec.get("merged_into"),
    }


def mount_report_page(app: FastAPI) -> None:
    """Serve the citizens' page at ``/report/``."""
    app.mount("/report", StaticFiles(directory=STATIC, html=True), name="citizen_report")

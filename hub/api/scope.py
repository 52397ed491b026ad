"""What a caller may see.

A responder: the cases they are on, and only through those cases their alarms, snapshots,
clips, photos and cameras. A token with an area (a street, community or grid,
``hub.domain.area``): the cases and alarms whose grid lies in it, the cameras with a zone
looking into it, and the snapshots of those cases and alarms. Staff without an area
(operator, technician, admin) see all. Both limits hold together: a responder with an area
sees the cases they are on inside it.

A department's desk (``department=`` on the token) sees the cases that department owns now,
and their snapshots through those cases (``?case=``); alarms before they are cases, cameras
and live video are not a department's and follow the token's area alone.

A responder's request for a snapshot or a camera names the case it is for (``?case=``):
the hub checks that the responder is on that case and that the snapshot or camera is the
case's, without scanning anything. Answers outside the scope are 404, as for a thing that
does not exist, so ids cannot be probed. An area-scoped caller names the case or alarm a snapshot is for the
same way (``?case=`` or ``?alarm=``), and is answered 404 for anything of another place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request

from hub.api.auth import Principal
from hub.api.deps import get_principal
from hub.district import District
from hub.domain.area import covers, covers_any
from hub.domain.case_state import TERMINAL_STATES
from hub.runtime import HubRuntime
from hub.store.keys import text


def on_case(p: Principal, rec: dict[str, str]) -> bool:
    """Staff see every case; a responder the cases they are on (assignee or named in the
    1+1+X command; records from before ``people`` existed fall back to the assignees)."""
    if p.role != "responder":
        return True
    people = rec.get("people", rec.get("assignees", "")).split()
    return bool(p.person_id) and p.person_id in people


class GridParents(Mapping[str, str | None]):
    """Each grid's ``parent_code``, read from the district as asked (nothing copied)."""

    def __init__(self, district: District) -> None:
        self._grids = district.grids

    def __getitem__(self, code: str) -> str | None:
        return self._grids[code].parent_code

    def __iter__(self) -> Iterator[str]:
        return iter(self._grids)

    def __len__(self) -> int:
        return len(self._grids)


def grid_parents(rt: HubRuntime) -> Mapping[str, str | None]:
    return GridParents(rt.district)


def in_area(rt: HubRuntime, p: Principal, grid_code: str | None) -> bool:
    """Whether a thing in ``grid_code`` lies in the caller's area (always, without one)."""
    return p.area is None or covers(p.area, grid_code, grid_parents(rt))


def camera_in_area(rt: HubRuntime, p: Principal, camera_id: str) -> bool:
    """A camera is in the caller's area when one of its zones looks at a grid there."""
    if p.area is None:
        return True
    cam = rt.district.cameras.get(camera_id)
    zones = [rt.ctx.zones.get((camera_id, z.zone_id)) for z in cam.zones] if cam else []
    return covers_any(p.area, [z.grid_code for z in zones if z], grid_parents(rt))


def of_department(p: Principal, rec: dict[str, str]) -> bool:
    """A department's desk sees the cases its department owns now (``department`` of the
    case's listing fields); a token without a department every department's."""
    return p.department is None or rec.get("department") == p.department


def sees_case(rt: HubRuntime, p: Principal, rec: dict[str, str]) -> bool:
    """A case the caller may see: on it (responder), in their area and of their department
    (if they have one)."""
    return (
        bool(rec)
        and on_case(p, rec)
        and of_department(p, rec)
        and in_area(rt, p, rec.get("grid_code"))
    )


async def may_see_case(rt: HubRuntime, p: Principal, case_no: str | None) -> bool:
    if p.role != "responder" and not p.scoped:
        return True
    if not case_no:
        return False
    return sees_case(rt, p, await rt.store.record(case_no))


async def alarm_snapshots(rt: HubRuntime, key: str) -> tuple[str | None, set[str]]:
    """An alarm's grid and the snapshots it names (none if there is no such alarm)."""
    raw: Any = await rt.redis.hmget(
        rt.keys.alarm(key), ["grid_code", "snapshot_id", "boxes_snapshot_id"]
    )
    grid, *snaps = (text(x) if x is not None else None for x in raw)
    return grid, {x for x in snaps if x}


async def case_snapshots(rt: HubRuntime, case_no: str) -> set[str]:
    """Every snapshot a case names: the one it was reported with and those of its alarms."""
    view = await rt.store.view(case_no)
    out = {str(view.facts["snapshot_id"])} if view.facts.get("snapshot_id") else set()
    for key in view.alarms:
        raw: Any = await rt.redis.hmget(rt.keys.alarm(key), ["snapshot_id", "boxes_snapshot_id"])
        out |= {text(x) for x in raw if x}
    return out


async def may_see_snapshot(
    rt: HubRuntime, p: Principal, snapshot_id: str, case_no: str | None, alarm: str | None = None
) -> bool:
    """Responders name the case; area-scoped staff the case or the alarm (one in their area
    that names the snapshot)."""
    if p.role != "responder" and not p.scoped:
        return True
    if alarm is not None and p.role != "responder" and p.department is None:
        grid, snaps = await alarm_snapshots(rt, alarm)
        return grid is not None and in_area(rt, p, grid) and snapshot_id in snaps
    if not await may_see_case(rt, p, case_no):
        return False
    return snapshot_id in await case_snapshots(rt, case_no or "")


async def may_watch(rt: HubRuntime, p: Principal, camera_id: str, case_no: str | None) -> bool:
    """A responder watches a camera only for an open case of theirs from that camera; staff
    with an area only a camera looking into it."""
    if p.role != "responder":
        return camera_in_area(rt, p, camera_id)
    if not case_no:
        return False
    rec = await rt.store.record(case_no)
    return (
        sees_case(rt, p, rec)
        and rec.get("camera_id") == camera_id
        and rec.get("state") not in TERMINAL_STATES
    )


def _runtime(request: Request) -> HubRuntime:
    rt: HubRuntime | None = getattr(request.app.state, "runtime", None)
    if rt is None:
        raise HTTPException(503, "the hub runtime is not running")
    return rt


Caller = Annotated[Principal, Depends(get_principal)]
CaseQuery = Annotated[str | None, Query(alias="case", pattern=r"^[0-9]{20}$")]
AlarmQuery = Annotated[str | None, Query(alias="alarm", max_length=200)]


async def camera_in_scope(
    camera_id: str, request: Request, p: Caller, case: CaseQuery = None
) -> None:
    """Route dependency of the live video routes (WHEP, snapshot.jpg, MJPEG, clip)."""
    if p.role == "responder" and not await may_watch(_runtime(request), p, camera_id, case):
        raise HTTPException(404, f"no camera {camera_id!r} on an open case of yours")
    if p.area is not None and not camera_in_area(_runtime(request), p, camera_id):
        raise HTTPException(404, f"no camera {camera_id!r} in your area")


async def case_in_scope(case_no: str, request: Request, p: Caller) -> None:
    """Route dependency of ``/video/cases/{case_no}/clip``."""
    if not await may_see_case(_runtime(request), p, case_no):
        raise HTTPException(404, f"case {case_no!r} has no clip")


def staff_only(request: Request, p: Caller) -> None:
    """Route dependency of what lists every camera (video config and stats); a token with
    an area gets the config (ICE servers) but not every camera's stats."""
    if p.role == "responder":
        raise HTTPException(403, "role 'responder' may not do this")
    if p.area is not None and request.url.path.endswith("/stats"):
        raise HTTPException(
            403, f"a token of {p.area.level} {p.area.code} sees no county-wide stats"
        )

"""What a responder may see: the cases they are on, and only through those cases their
alarms, snapshots, clips, photos and cameras. Staff (operator, technician, admin) see all.

A responder's request for a snapshot or a camera names the case it is for (``?case=``):
the hub checks that the responder is on that case and that the snapshot or camera is the
case's, without scanning anything. Answers outside the scope are 404, as for a thing that
does not exist, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request

from hub.api.auth import Principal
from hub.api.deps import get_principal
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


async def may_see_case(rt: HubRuntime, p: Principal, case_no: str | None) -> bool:
    if p.role != "responder":
        return True
    if not case_no:
        return False
    rec = await rt.store.record(case_no)
    return bool(rec) and on_case(p, rec)


async def case_snapshots(rt: HubRuntime, case_no: str) -> set[str]:
    """Every snapshot a case names: the one it was reported with and those of its alarms."""
    view = await rt.store.view(case_no)
    out = {str(view.facts["snapshot_id"])} if view.facts.get("snapshot_id") else set()
    for key in view.alarms:
        raw: Any = await rt.redis.hmget(rt.keys.alarm(key), ["snapshot_id", "boxes_snapshot_id"])
        out |= {text(x) for x in raw if x}
    return out


async def may_see_snapshot(
    rt: HubRuntime, p: Principal, snapshot_id: str, case_no: str | None
) -> bool:
    if p.role != "responder":
        return True
    if not await may_see_case(rt, p, case_no):
        return False
    return snapshot_id in await case_snapshots(rt, case_no or "")


async def may_watch(rt: HubRuntime, p: Principal, camera_id: str, case_no: str | None) -> bool:
    """A responder watches a camera only for an open case of theirs from that camera."""
    if p.role != "responder":
        return True
    if not case_no:
        return False
    rec = await rt.store.record(case_no)
    return (
        bool(rec)
        and on_case(p, rec)
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


async def camera_in_scope(
    camera_id: str, request: Request, p: Caller, case: CaseQuery = None
) -> None:
    """Route dependency of the live video routes (WHEP, snapshot.jpg, MJPEG, clip)."""
    if p.role == "responder" and not await may_watch(_runtime(request), p, camera_id, case):
        raise HTTPException(404, f"no camera {camera_id!r} on an open case of yours")


async def case_in_scope(case_no: str, request: Request, p: Caller) -> None:
    """Route dependency of ``/video/cases/{case_no}/clip``."""
    if p.role == "responder" and not await may_see_case(_runtime(request), p, case_no):
        raise HTTPException(404, f"case {case_no!r} has no clip")


def staff_only(p: Caller) -> None:
    """Route dependency of what lists every camera (video config and stats)."""
    if p.role == "responder":
        raise HTTPException(403, "role 'responder' may not do this")

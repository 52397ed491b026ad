"""A department's desk: its queue of open cases with the colour of their time limit, its
people to assign them to, and the departments it may hand a case over to.

A token with ``department=`` (``hub.api.auth``) opens its own department's desk only (another
department's is 404, as if there were none); a county operator opens any. Assigning is the
case's ``reassign`` action and a hand-over ``POST /api/cases/{no}/hand-over``: a department's
token may assign only to its own people (``check_assignees``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from hub.api.auth import Principal
from hub.api.deps import Operator, Runtime
from hub.api.scope import sees_case
from hub.district import District
from hub.domain.owners import OwnerError
from hub.runtime import HubRuntime
from hub.services.cases import case_summary
from hub.store.keys import text

router = APIRouter(tags=["departments"])


def department_people(district: District, dep_id: str) -> list[dict[str, Any]]:
    """Its listed people (``departments.yaml``); a department that lists none: the roster's
    enforcement teams for the categories it owns."""
    dep = next(d for d in district.departments.departments if d.id == dep_id)
    owned = {c.code for c in district.categories.values() if c.department == dep.name_zh}
    listed = set(dep.people)
    return [
        {"person_id": p.person_id, "name": p.name, "role": p.role, "street_code": p.street_code}
        for p in district.people
        if p.person_id in listed
        or (not listed and p.role == "enforcement" and owned & set(p.categories))
    ]


def check_assignees(rt: HubRuntime, p: Principal, assignees: list[str]) -> None:
    """403 when a department's token assigns a case to someone not of its department."""
    if p.department is None:
        return
    own = {x["person_id"] for x in department_people(rt.district, p.department)}
    strangers = sorted(set(assignees) - own)
    if strangers:
        raise HTTPException(
            403, f"{strangers} are not people of department {p.department!r}: assign its own"
        )


def open_department(rt: HubRuntime, p: Principal, dep: str) -> None:
    """404 for an unknown department or, for a department's token, another department."""
    try:
        rt.ctx.owners.department(dep)
    except OwnerError as exc:
        raise HTTPException(404, str(exc)) from None
    if p.department is not None and p.department != dep:
        raise HTTPException(404, f"no department {dep!r} at your desk ({p.department})")


@router.get("/api/departments/{dep}/desk")
async def desk(dep: str, rt: Runtime, p: Operator, limit: int = 200) -> dict[str, Any]:
    """The department's open cases, oldest first, each with ``colour`` (green, yellow, red),
    ``share`` of its time limit used and ``due_ms``; its people; the other departments."""
    open_department(rt, p, dep)
    entry = next(d for d in rt.district.departments.departments if d.id == dep)
    raw: Any = await rt.redis.zrange(rt.keys.department_queue(dep), 0, max(1, min(limit, 2000)) - 1)
    cases = []
    for rec in await rt.store.records([text(x) for x in raw]):
        if not sees_case(rt, p, rec):
            continue
        standing = rt.supervision.standing(await rt.store.view(rec["case_no"]))
        colour = standing.colour if standing else None
        due = standing.due_ms if standing else None
        cases.append(
            case_summary(rec)
            | {"colour": colour, "share": standing.share if standing else None, "due_ms": due}
        )
    others = [
        {"id": d.id, "name_zh": d.name_zh, "platform": d.platform}
        for d in rt.district.departments.departments
        if d.id != dep
    ]
    return {
        "id": dep,
        "name_zh": entry.name_zh,
        "platform": entry.platform,
        "sla": entry.sla.model_dump() if entry.sla else None,
        "people": department_people(rt.district, dep),
        "departments": others,
        "cases": cases,
    }

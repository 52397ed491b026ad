"""Cases: filter, detail, timeline and actions; a responder sees only their own cases, a
token with an area only the cases in it (``hub.api.scope``).

A case's detail carries the latest detection boxes of its alarm (``boxes``, ``boxes_ms``,
``boxes_snapshot_id``; see ``hub.api.alarms``), so a tile or a console draws them on the
snapshot they came with.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from hub.api.alarms import alarm_detection
from hub.api.auth import Principal
from hub.api.deps import Anyone, Runtime
from hub.api.desk import check_assignees
from hub.api.scope import sees_case
from hub.domain.case_state import TRANSITIONS, TransitionError
from hub.domain.turnout import TurnoutError, check_ack, turnout
from hub.records.case_qr import svg_inline
from hub.services.case_people import BadActionData, candidates, person
from hub.services.cases import case_summary
from hub.store.cases import Conflict

router = APIRouter(tags=["cases"])

RESPONDER_ACTIONS = {"accept", "start", "return", "resolve", "request_postpone", "note"}


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description=f"one of {sorted(TRANSITIONS)}")
    reason: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=2000)
    assignees: list[str] | None = Field(
        default=None, max_length=20, description="reassign: roster person ids"
    )
    commander: str | None = Field(default=None, description="joint (1+1+X): the commander")
    lead: str | None = Field(default=None, description="joint: the lead unit")
    cooperating: list[str] | None = Field(
        default=None, max_length=30, description="joint: the X cooperating units"
    )
    unit: str | None = Field(
        default=None,
        max_length=64,
        description="joint_ack by an operator: the named unit that acknowledged (by phone); "
        "a responder acknowledges as themself",
    )

    def data(self) -> dict[str, Any]:
        fields = ("assignees", "commander", "lead", "cooperating")
        return {k: getattr(self, k) for k in fields if getattr(self, k) is not None}


@router.get("/api/cases")
async def list_cases(
    rt: Runtime,
    p: Anyone,
    state: str | None = None,
    grid: str | None = None,
    category: str | None = None,
    open_only: bool = False,
    limit: int = 200,
) -> list[dict[str, Any]]:
    numbers = await rt.store.recent_numbers(min(max(limit, 1), 5000) * 4)
    out = []
    for rec in await rt.store.records(numbers):
        if state and rec.get("state") != state:
            continue
        if grid and not rec.get("grid_code", "").startswith(grid):
            continue
        if category and rec.get("category") != category:
            continue
        if open_only and rec.get("state") in (
            "verified",
            "closed",
            "evaluated",
            "rejected",
            "merged",
        ):
            continue
        if sees_case(rt, p, rec):
            out.append(case_summary(rec))
        if len(out) >= limit:
            break
    return out


async def _record(rt: Runtime, p: Principal, no: str) -> dict[str, str]:
    rec = await rt.store.record(no)
    if not rec or not sees_case(rt, p, rec):
        raise HTTPException(404, f"no case {no!r}")
    return rec


@router.get("/api/cases/{no}")
async def case_detail(no: str, rt: Runtime, p: Anyone) -> dict[str, Any]:
    rec = await _record(rt, p, no)
    view = await rt.store.view(no)
    facts = dict(view.facts)
    named = {*view.assignees}
    joint = facts.get("joint") or {}
    named |= {x for x in (joint.get("commander"), joint.get("lead")) if x}
    named |= set(joint.get("cooperating") or ())
    people = {}
    for pid in sorted(named):
        try:
            people[pid] = person(rt.ctx, pid)
        except BadActionData:
            people[pid] = {"person_id": pid, "name": pid, "role": None}
    key = str(facts.get("alarm_key") or "")
    detection = await alarm_detection(rt, key) if key else {}
    return case_summary(rec) | {
        "boxes": detection.get("boxes", []),
        "boxes_ms": detection.get("boxes_ms"),
        "boxes_snapshot_id": detection.get("boxes_snapshot_id"),
        "facts": facts,
        "state": view.state,
        "assignees": list(view.assignees),
        "joint": joint or None,
        "people": people,
        "tier_name": rt.ctx.tiers[view.tier] if view.tier < len(rt.ctx.tiers) else None,
        "alarms": list(view.alarms),
        "escalations": list(view.escalations),
        "rework_count": view.rework_count,
        "sources": list(view.sources),
        "turnout": turnout_of(rt, view.facts),
        "qr_svg": svg_inline(no),  # the case number's QR code (一事一码), inline SVG
    }


def turnout_of(rt: Runtime, facts: dict[str, Any]) -> dict[str, Any] | None:
    """The 1+1+X turnout now (``hub.domain.turnout``), or None without a joint command."""
    target_s = rt.settings.correlation.joint_turnout_min * 60
    t = turnout(facts, rt.clock.now_ms(), target_s)
    return t.to_dict() if t else None


@router.get("/api/cases/{no}/candidates")
async def case_candidates(no: str, rt: Runtime, p: Anyone) -> dict[str, Any]:
    """Who the case may be reassigned to (routing candidates for its grid × category, then
    the whole roster) and the suggested 1+1+X."""
    rec = await _record(rt, p, no)
    grid, category = rec.get("grid_code", ""), rec.get("category", "")
    return candidates(rt.ctx, grid, category, rec.get("department") or None)


@router.get("/api/cases/{no}/timeline")
async def timeline(no: str, rt: Runtime, p: Anyone) -> list[dict[str, Any]]:
    await _record(rt, p, no)
    return [e.to_dict() for e in await rt.store.events(no)]


@router.post("/api/cases/{no}/actions")
async def act(no: str, body: ActionRequest, rt: Runtime, p: Anyone) -> dict[str, Any]:
    rec = await _record(rt, p, no)
    allowed: set[str] | Literal["all"] = "all"
    if p.role == "responder":
        # the 1+1+X command sees the case, writes notes and acknowledges; the assignees work it
        assigned = (p.person_id or "") in rec.get("assignees", "").split()
        allowed = (RESPONDER_ACTIONS if assigned else {"note"}) | {"joint_ack"}
    elif p.role == "technician":
        allowed = {"note"}
    if allowed != "all" and body.action not in allowed:
        raise HTTPException(403, f"role {p.role!r} may not {body.action!r} a case")
    if body.data() and body.action not in ("reassign", "joint"):
        raise HTTPException(
            422, f"{sorted(body.data())} belong to reassign or joint, not {body.action!r}"
        )
    if body.action in ("report", "attach_alarm", "attach_report", "hand_over"):
        where = "POST /api/cases/{no}/hand-over" if body.action == "hand_over" else "the hub"
        raise HTTPException(422, f"{body.action!r} is done by {where}")
    data = body.data() if body.action in ("reassign", "joint") else None
    if body.action == "reassign":
        check_assignees(rt, p, body.assignees or [])
    if body.action == "joint_ack":
        unit = p.person_id if p.role == "responder" else body.unit
        try:
            data = {"person": check_ack((await rt.store.view(no)).facts.get("joint"), unit)}
        except TurnoutError as exc:
            raise HTTPException(403 if p.role == "responder" else 422, str(exc)) from None
    elif body.unit is not None:
        raise HTTPException(422, f"'unit' belongs to joint_ack, not {body.action!r}")
    try:
        view = await rt.cases.act(
            no,
            body.action,
            f"{p.role}:{p.name}",
            reason=body.reason,
            note=body.note,
            data=data,
        )
    except BadActionData as exc:
        raise HTTPException(422, str(exc)) from None
    except TransitionError as exc:
        raise HTTPException(409, str(exc)) from None
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    return {"case_no": no, "state": view.state, "tier": view.tier, "events": view.events}

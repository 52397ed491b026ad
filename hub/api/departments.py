"""The four platforms and their departments: each department's queue of open cases, and the
hand-over of a case from one department to another (with a reason; counted as rework against
the department that owned it first). Ownership is ``hub.domain.owners`` (table-tested)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import Anyone, Operator, Runtime
from hub.api.desk import open_department
from hub.api.scope import sees_case
from hub.domain.case_state import TransitionError
from hub.domain.owners import OwnerError, hand_over
from hub.runtime import HubRuntime
from hub.services.case_people import policy_with_urgency
from hub.services.cases import case_summary
from hub.store.cases import Conflict
from hub.store.keys import text

router = APIRouter(tags=["departments"])


def rework_key(rt: HubRuntime) -> str:
    """Hash: department id → hand-overs counted against it (it owned the case first)."""
    return f"{rt.keys.prefix}:dept:rework"


@router.get("/api/departments")
async def departments(rt: Runtime, p: Anyone) -> dict[str, Any]:
    deps = rt.district.departments
    rework: Any = await rt.redis.hgetall(rework_key(rt))
    counted = {text(k): int(v) for k, v in rework.items()}
    out = []
    for d in deps.departments:
        if p.department is not None and d.id != p.department:
            continue
        open_n = await rt.redis.zcard(rt.keys.department_queue(d.id))
        if p.scoped:  # only the cases the caller may see
            raw: Any = await rt.redis.zrange(rt.keys.department_queue(d.id), 0, -1)
            records = await rt.store.records([text(x) for x in raw])
            open_n = sum(1 for r in records if sees_case(rt, p, r))
        categories = [c.code for c in rt.district.categories.values() if c.department == d.name_zh]
        out.append(
            {
                "id": d.id,
                "name_zh": d.name_zh,
                "platform": d.platform,
                "categories": categories,
                "open": open_n,
                "rework_handovers": counted.get(d.id, 0),
            }
        )
    platforms = [p.model_dump() for p in deps.platforms]
    return {"platforms": platforms, "departments": out}


@router.get("/api/departments/{dep}/queue")
async def department_queue(dep: str, rt: Runtime, p: Operator, limit: int = 200) -> Any:
    """The department's open cases, oldest first (a token with an area: those in it; a
    department's token: its own queue only)."""
    open_department(rt, p, dep)
    raw: Any = await rt.redis.zrange(rt.keys.department_queue(dep), 0, max(1, min(limit, 5000)) - 1)
    records = await rt.store.records([text(x) for x in raw])
    return [case_summary(r) for r in records if sees_case(rt, p, r)]


class HandOverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: str = Field(max_length=40)
    reason: str = Field(max_length=500)


@router.post("/api/cases/{no}/hand-over")
async def hand_over_case(
    no: str, body: HandOverRequest, rt: Runtime, p: Operator
) -> dict[str, Any]:
    view = await rt.store.view(no)
    if not view.events or not sees_case(rt, p, await rt.store.record(no)):
        raise HTTPException(404, f"no case {no!r}")
    current = str(view.facts.get("department") or "")
    events = await rt.store.events(no)
    first = str(events[0].data.get("department") or current)
    try:
        h = hand_over(rt.ctx.owners, current, first, body.department, body.reason)
    except OwnerError as exc:
        raise HTTPException(422, str(exc)) from None
    moved = [
        ["ZREM", rt.keys.department_queue(h.from_department), no],
        ["ZADD", rt.keys.department_queue(h.to_department), str(rt.clock.now_ms()), no],
        ["HINCRBY", rework_key(rt), h.rework_against, "1"],
    ]
    data: dict[str, Any] = {
        "from_department": h.from_department,
        "to_department": h.to_department,
        "to_platform": h.to_platform,
        "rework_against": h.rework_against,
    }
    # the new department's SLA (a case not yet dispatched takes it to its dispatch), and for a
    # dispatched case its people at the case's tier and deadlines from now
    grid, cat = str(view.facts["grid_code"]), str(view.facts["category"])
    urgency = str(view.facts.get("urgency") or rt.district.categories[cat].urgency)
    policy = policy_with_urgency(
        rt.ctx, rt.ctx.policy_for(grid, cat, h.to_department), cat, urgency
    )
    data["policy"] = policy.to_dict()
    if view.dispatched_ms is not None:
        now = rt.clock.now_ms()
        tier = min(view.tier, len(policy.steps) - 1)
        dispatch = rt.cases.dispatch_data(grid, cat, policy, tier, now, now, h.to_department)
        data |= {k: dispatch[k] for k in ("assignees", "accept_due_ms", "dispose_due_ms")}
        moved += rt.cases.step_timer(no, policy, tier, now)
    queued = await rt.redis.zscore(rt.keys.department_queue(current), no) is not None
    try:
        new = await rt.cases.act(
            no,
            "hand_over",
            f"{p.role}:{p.name}",
            reason=body.reason,
            data=data,
            effects=moved if queued else moved[2:],
            fields={"department": h.to_department, "platform": h.to_platform},
        )
    except (TransitionError, Conflict) as exc:
        raise HTTPException(409, str(exc)) from None
    return {"case_no": no, "department": new.facts.get("department"), "handovers": new.handovers}

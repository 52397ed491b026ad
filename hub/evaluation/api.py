"""``POST /api/cases/{no}/evaluation``: a rating of a closed case, entered by an operator
(a citizen's or a 12345 follow-up's answer) or by a responder on the case (the grid member),
optionally reopening the case when the score is below ``evaluation.reopen_below``: then the
case is reopened and dispatched again, as a recurrence is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import Anyone, Runtime
from hub.api.scope import sees_case
from hub.domain.case_state import TransitionError
from hub.domain.evaluation import RATERS, check_rating, may_reopen
from hub.store.cases import Conflict

router = APIRouter(tags=["evaluation"])


class EvaluationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(description="1 (very poor) to 5 (very good)")
    by: str = Field(description=f"who rated it: one of {list(RATERS)}")
    comment: str | None = Field(default=None, max_length=2000)
    reopen: bool = Field(default=False, description="reopen the case (score below the threshold)")


@router.post("/api/cases/{no}/evaluation")
async def evaluate(no: str, body: EvaluationRequest, rt: Runtime, p: Anyone) -> dict[str, Any]:
    rec = await rt.store.record(no)
    if not rec or not sees_case(rt, p, rec):
        raise HTTPException(404, f"no case {no!r}")
    if p.role not in ("operator", "admin", "responder"):
        raise HTTPException(403, f"role {p.role!r} may not rate a case")
    if p.role == "responder" and body.by != "grid_member":
        raise HTTPException(403, "a responder rates as the grid member ('by': 'grid_member')")
    try:
        rating = check_rating(body.score, body.by, body.comment)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    threshold = rt.settings.evaluation.reopen_below
    low = may_reopen(rating.score, threshold)
    if body.reopen and not low:
        raise HTTPException(
            422, f"only a score below {threshold} reopens a case; this one is {rating.score}"
        )
    actor = f"{p.role}:{p.name}"
    try:
        view = await rt.cases.act(
            no,
            "evaluate",
            actor,
            note=rating.comment or None,
            data={"score": rating.score, "by": rating.by, "below_threshold": low},
        )
        if body.reopen:
            await rt.cases.act(no, "reopen", actor, reason=f"satisfaction {rating.score}")
            view = await rt.cases.act(no, "dispatch", "system")
    except TransitionError as exc:
        raise HTTPException(409, str(exc)) from None
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    return {
        "case_no": no,
        "state": view.state,
        "score": rating.score,
        "below_threshold": low,
        "reopened": body.reopen,
    }

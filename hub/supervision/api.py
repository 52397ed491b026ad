"""Supervision routes: the colours of the open cases, and an operator's supervision order."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import Operator, Runtime
from hub.api.scope import sees_case
from hub.store.cases import Conflict
from hub.supervision.service import OrderError

router = APIRouter(tags=["supervision"])


class OrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=2000, description="what is asked, and of whom")
    deadline_ms: int = Field(gt=0, description="by when (ms since the epoch); after now")


@router.get("/api/supervision")
async def board(rt: Runtime, p: Operator) -> list[dict[str, Any]]:
    """Open cases (reported in the last 30 days) with the share of their time limit used
    and its colour (green, yellow, red), most urgent first; a token with an area or a
    department gets the cases in it."""
    board = await rt.supervision.board()
    if not p.scoped:
        return board
    records = await rt.store.records([str(c["case_no"]) for c in board])
    return [c for c, rec in zip(board, records, strict=True) if sees_case(rt, p, rec)]


@router.post("/api/cases/{no}/supervision-orders")
async def order(no: str, body: OrderRequest, rt: Runtime, p: Operator) -> dict[str, Any]:
    if p.scoped and not sees_case(rt, p, await rt.store.record(no)):
        raise HTTPException(404, f"no case {no!r}")  # another place's case, as if none
    try:
        view = await rt.supervision.order(no, f"{p.role}:{p.name}", body.note, body.deadline_ms)
    except KeyError:
        raise HTTPException(404, f"no case {no!r}") from None
    except OrderError as exc:
        raise HTTPException(422, str(exc)) from None
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    return {"case_no": no, "state": view.state, "events": view.events}

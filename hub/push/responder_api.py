"""Routes of the responder app: its push subscription, its live pushes, and case actions that
a phone may replay after being offline (each carries a client-made ``action_id``; the hub
performs an id once and answers a replay with the first result).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from hub.api.auth import Principal
from hub.api.deps import Anyone, Runtime
from hub.api.scope import may_see_case
from hub.domain.case_state import TransitionError
from hub.domain.turnout import TurnoutError, check_ack
from hub.push.channels import live_key
from hub.push.photos import PhotoRejected, check_photos
from hub.push.settings import PushSettings
from hub.push.subscriptions import SubscriptionLimit, SubscriptionStore
from hub.push.webpush import Subscription
from hub.runtime import HubRuntime
from hub.store.cases import Conflict
from hub.store.keys import text, text_map

router = APIRouter(tags=["responders"])
ActionId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
ACTION_TTL_S = 14 * 24 * 3600
MEDIA_TTL_S = 180 * 24 * 3600
RESOLVE_PATH = "/api/responder/actions/resolve"


class ResponderAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action_id: ActionId
    case_no: Annotated[str, Field(pattern=r"^[0-9]{20}$")]
    action: Literal["accept", "return", "start", "note", "joint_ack"]
    reason: Annotated[str, Field(max_length=500)] | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None


def _me(p: Principal) -> str:
    if p.role != "responder" or not p.person_id:
        raise HTTPException(403, "only a responder (a token with a person id) uses this")
    return p.person_id


def _settings(rt: HubRuntime) -> PushSettings:
    return rt.settings.push


@router.get("/api/push/vapid-key")
async def vapid_key(request: Request) -> dict[str, str | None]:
    key = getattr(request.app.state, "vapid_public", None)
    return {"public_key": key}


@router.post("/api/push/subscriptions", status_code=201)
async def subscribe(sub: Subscription, rt: Runtime, p: Anyone) -> dict[str, str]:
    person = _me(p)
    try:
        await SubscriptionStore(rt.redis, rt.keys.prefix).add(person, sub)
    except SubscriptionLimit as exc:
        raise HTTPException(409, str(exc)) from None
    return {"person_id": person, "endpoint": sub.endpoint}


@router.get("/api/push/live")
async def live(
    request: Request,
    rt: Runtime,
    p: Anyone,
    since: Annotated[str | None, Query(pattern=r"^[0-9]+-[0-9]+$")] = None,
) -> StreamingResponse:
    """``text/event-stream`` of this responder's pushes while the page is open; resumes
    after ``Last-Event-ID`` or ``?since=`` (a page reopening it with a fresh ticket)."""
    person = _me(p)
    key = live_key(rt.keys.prefix, person)

    async def events() -> AsyncIterator[bytes]:
        last: Any = await rt.redis.xrevrange(key, count=1)
        tail = text(last[0][0]) if last else "0-0"
        cursor = request.headers.get("last-event-id") or since or tail
        yield b": connected\n\n"
        while not await request.is_disconnected():
            resp: Any = await rt.redis.xread({key: cursor}, count=50, block=1000)
            if not resp:
                yield b": keep-alive\n\n"
                continue
            for entry_id, f in resp[0][1]:
                cursor = text(entry_id)
                yield f"id: {cursor}\nevent: push\ndata: {text(f[b'push'])}\n\n".encode()

    return StreamingResponse(events(), media_type="text/event-stream")


@router.get("/api/responder/me")
async def me(rt: Runtime, p: Anyone) -> dict[str, Any]:
    person = _me(p)
    who = next((x for x in rt.district.people if x.person_id == person), None)
    return {
        "person_id": person,
        "name": who.name if who else person,
        "role": who.role if who else None,
        "grid_code": who.grid_code if who else None,
    }


def _action_key(rt: HubRuntime, person: str, action_id: str) -> str:
    """Action ids are the phone's own: each person has their own namespace of them, so one
    responder's id can never return another's result."""
    return f"{rt.keys.prefix}:action:{person}:{action_id}"


async def _claim(rt: HubRuntime, key: str, action_id: str) -> dict[str, Any] | None:
    """The first result of ``action_id`` if it was done before; None claims it for us."""
    if await rt.redis.set(key, "pending", nx=True, ex=ACTION_TTL_S):
        return None
    raw = text(await rt.redis.get(key))
    if raw == "pending":
        raise HTTPException(409, f"action {action_id} is being done now; retry shortly")
    done: dict[str, Any] = json.loads(raw)
    return done | {"duplicate": True}


async def _finish(rt: HubRuntime, key: str, result: dict[str, Any]) -> dict[str, Any]:
    await rt.redis.set(key, json.dumps(result), ex=ACTION_TTL_S)
    return result | {"duplicate": False}


async def _check_assigned(rt: HubRuntime, person: str, no: str, key: str) -> None:
    """404 (and the claim released) unless ``no`` is a case assigned to ``person``."""
    rec = text_map(await rt.redis.hgetall(rt.keys.case(no)))
    if not rec or person not in rec.get("assignees", "").split():
        await rt.redis.delete(key)
        raise HTTPException(404, f"no case {no!r} assigned to you")


async def _perform(
    rt: HubRuntime,
    person: str,
    key: str,
    action_id: str,
    no: str,
    action: str,
    reason: str | None,
    note: str | None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    await _check_assigned(rt, person, no, key)
    if action == "return" and not (reason and reason.strip()):
        await rt.redis.delete(key)
        raise HTTPException(422, "returning a case needs a reason (e.g. 'not mine')")
    try:
        view = await rt.cases.act(
            no, action, f"responder:{person}", reason=reason, note=note, data=data
        )
    except (TransitionError, Conflict) as exc:
        return await _finish(
            rt, key, {"action_id": action_id, "case_no": no, "ok": False, "error": str(exc)}
        )
    return await _finish(
        rt,
        key,
        {
            "action_id": action_id,
            "case_no": no,
            "ok": True,
            "state": view.state,
            "events": view.events,
        },
    )


@router.post("/api/responder/actions")
async def act(body: ResponderAction, rt: Runtime, p: Anyone) -> dict[str, Any]:
    person = _me(p)
    key = _action_key(rt, person, body.action_id)
    done = await _claim(rt, key, body.action_id)
    if done is not None:
        return done
    if body.action == "joint_ack":
        return await _acknowledge(rt, person, key, body.action_id, body.case_no)
    return await _perform(
        rt, person, key, body.action_id, body.case_no, body.action, body.reason, body.note
    )


async def _acknowledge(
    rt: HubRuntime, person: str, key: str, action_id: str, no: str
) -> dict[str, Any]:
    """A unit named in the case's 1+1+X command acknowledges it (assigned or not)."""
    view = await rt.store.view(no)
    try:
        check_ack(view.facts.get("joint"), person)
    except TurnoutError:
        await rt.redis.delete(key)
        raise HTTPException(404, f"no 1+1+X command naming you on case {no!r}") from None
    try:
        new = await rt.cases.act(no, "joint_ack", f"responder:{person}", data={"person": person})
    except (TransitionError, Conflict) as exc:
        return await _finish(
            rt, key, {"action_id": action_id, "case_no": no, "ok": False, "error": str(exc)}
        )
    result = {"action_id": action_id, "case_no": no, "ok": True, "state": new.state}
    return await _finish(rt, key, result | {"events": new.events})


@router.post(RESOLVE_PATH)
async def resolve(
    rt: Runtime,
    p: Anyone,
    action_id: Annotated[str, Form(pattern=r"^[A-Za-z0-9_-]{8,64}$")],
    case_no: Annotated[str, Form(pattern=r"^[0-9]{20}$")],
    photos: list[UploadFile],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> dict[str, Any]:
    """Resolve with after-photos (multipart): type and size are checked before anything, and
    the case must be assigned to the caller before a photo is stored."""
    person = _me(p)
    s = _settings(rt)
    raw = [(f.filename or "", f.content_type, await f.read(s.photo_max_bytes + 1)) for f in photos]
    try:
        checked = check_photos(raw, s.photo_max_bytes, s.photos_max)
    except PhotoRejected as exc:
        raise HTTPException(exc.status, str(exc)) from None
    key = _action_key(rt, person, action_id)
    done = await _claim(rt, key, action_id)
    if done is not None:
        return done
    await _check_assigned(rt, person, case_no, key)
    media = []
    for ph in checked:
        mid = f"m-{secrets.token_hex(10)}"
        mkey = f"{rt.keys.prefix}:media:{mid}"
        await rt.redis.hset(
            mkey, mapping={"type": ph.content_type, "data": ph.data, "case_no": case_no}
        )
        await rt.redis.expire(mkey, MEDIA_TTL_S)
        media.append(mid)
    return await _perform(
        rt, person, key, action_id, case_no, "resolve", None, note, {"media": media}
    )


@router.get("/api/media/{media_id}")
async def media(media_id: str, rt: Runtime, p: Anyone) -> Response:
    """An uploaded photo; a responder only those of cases they are on."""
    if not media_id.startswith("m-") or len(media_id) > 40:
        raise HTTPException(404, f"no media {media_id!r}")
    raw: Any = await rt.redis.hgetall(f"{rt.keys.prefix}:media:{media_id}")
    if not raw or not await may_see_case(rt, p, text(raw.get(b"case_no", b""))):
        raise HTTPException(404, f"no media {media_id!r}")
    return Response(raw[b"data"], media_type=text(raw[b"type"]))


UI_DIR = Path(__file__).resolve().parents[2] / "responder_ui"


def mount_responder_ui(app: FastAPI) -> None:
    """Serve the responder PWA at ``/m/`` (its service worker's scope)."""
    if UI_DIR.is_dir():
        app.mount("/m", StaticFiles(directory=UI_DIR, html=True), name="responder_ui")

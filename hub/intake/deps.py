"""What the intake routes share: the service and place tokens (made once per app), and the
reading of uploaded photos (size and type checked before anything is stored)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, UploadFile

from hub.api.deps import get_runtime
from hub.intake.place_tokens import PlaceTokens, load_place_tokens
from hub.intake.rules import IntakeRejected
from hub.intake.service import IntakeService
from hub.intake.settings import IntakeSettings
from hub.push.photos import Photo, PhotoRejected, check_photo


def get_intake(request: Request) -> IntakeService:
    state = request.app.state
    service: IntakeService | None = getattr(state, "intake", None)
    if service is None:
        service = IntakeService(get_runtime(request))
        state.intake = service
    return service


async def get_place_tokens(request: Request) -> PlaceTokens:
    state = request.app.state
    tokens: PlaceTokens | None = getattr(state, "place_tokens", None)
    if tokens is None:
        rt = get_runtime(request)
        tokens = await load_place_tokens(rt.redis, rt.keys.prefix, rt.settings.intake.place_key_env)
        state.place_tokens = tokens
    return tokens


Intake = Annotated[IntakeService, Depends(get_intake)]
Places = Annotated[PlaceTokens, Depends(get_place_tokens)]


async def read_photos(files: list[UploadFile] | None, s: IntakeSettings, what: str) -> list[Photo]:
    """Every photo checked (count, size, type by its bytes) or an error naming the bad one."""
    files = [f for f in files or [] if f.filename or f.size]
    if len(files) > s.photos_max:
        raise IntakeRejected(f"{len(files)} {what} sent; at most {s.photos_max}")
    out = []
    for f in files:
        data = await f.read(s.photo_max_bytes + 1)
        try:
            out.append(check_photo(f.filename or "", f.content_type, data, s.photo_max_bytes))
        except PhotoRejected as exc:
            raise IntakeRejected(str(exc), exc.status) from None
    return out


def http_error(exc: IntakeRejected) -> HTTPException:
    return HTTPException(exc.status, str(exc))

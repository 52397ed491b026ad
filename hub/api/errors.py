"""Error answers that never echo a large request back.

FastAPI's default 422 repeats each invalid value (``input``) whole, so a 10 MB string in a
body came back as a 10 MB answer. Here each value is cut to ``INPUT_CHARS`` characters (a
note says how long it was) and at most ``MAX_ERRORS`` errors are listed.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

INPUT_CHARS = 120
MAX_ERRORS = 20


def shorten(value: Any) -> Any:
    """A value as an error may show it: small values as they are, large ones cut."""
    if isinstance(value, str):
        text = value
    elif value is None or isinstance(value, bool | int | float):
        return value
    else:
        text = json.dumps(jsonable_encoder(value), ensure_ascii=False, default=str)
        if len(text) <= INPUT_CHARS:
            return jsonable_encoder(value)
    if len(text) <= INPUT_CHARS:
        return text
    return f"{text[:INPUT_CHARS]}… ({len(text):,} characters)"


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    shown = []
    for err in errors[:MAX_ERRORS]:
        row = {k: v for k, v in err.items() if k not in ("input", "ctx", "url")}
        if "input" in err:
            row["input"] = shorten(err["input"])
        if "ctx" in err:
            row["ctx"] = {k: shorten(v) for k, v in err["ctx"].items()}
        shown.append(jsonable_encoder(row))
    body: dict[str, Any] = {"detail": shown}
    if len(errors) > MAX_ERRORS:
        body["more_errors"] = len(errors) - MAX_ERRORS
    return JSONResponse(body, status_code=422)

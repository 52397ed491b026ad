"""The hub's error answers, written into its OpenAPI document.

FastAPI documents only request validation's 422 (a list of errors as ``detail``). The hub
also answers 401 and 403 (tokens, roles), 404 (absent, or out of the caller's scope), 409,
413 (body caps), 415, 422 from its own checks (``detail`` a sentence), 429 (failed logins)
and others. Every operation documents them here as ``4XX`` with one body, ``Error``, and its
422 takes that body too, so a client (and ``tests/schema``, which fuzzes the API against
this document) can read any refusal the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR = "#/components/schemas/Error"
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "description": "Why: a sentence, the request's validation errors, or an object "
            "naming what was refused",
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "object"}},
                {"type": "object"},
            ],
        },
        "more_errors": {
            "type": "integer",
            "description": "validation errors left out of detail (the list is capped)",
        },
    },
}


def _answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ERROR}}},
    }


def document_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add ``Error`` and, to every operation, a ``4XX`` answer with it; 422 answers with it
    too. Returns the same document, changed."""
    openapi.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for item in openapi.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            responses["4XX"] = _answer("Refused; detail says why")
            if "422" in responses:
                responses["422"] = _answer("The request does not fit; detail says where")
    return openapi


def with_documented_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) carry the hub's error answers."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

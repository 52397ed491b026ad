"""Credentials never reach a log: a logging filter that rewrites query parameters that carry
one (``access_token``, ``token``, ``ticket``) in every record it sees.

``install`` puts it on uvicorn's loggers (the access log writes each request's path and
query) and on the root logger's handlers (the hub's own loggers end there); old links and
clients may still put a token in a URL, and the hub refuses it, but a log keeps only
``access_token=[redacted]``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

CREDENTIAL_PARAMS = re.compile(r"(?i)([?&](?:access_token|token|ticket)=)[^&#\s\"']*")
LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    return CREDENTIAL_PARAMS.sub(r"\1[redacted]", text)


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return True


def install() -> None:
    """Add the filter to uvicorn's loggers and the root logger's handlers (once each)."""
    places: list[logging.Filterer] = [logging.getLogger(n) for n in LOGGERS]
    places += logging.getLogger().handlers
    for place in places:
        if not any(isinstance(f, RedactCredentials) for f in place.filters):
            place.addFilter(RedactCredentials())

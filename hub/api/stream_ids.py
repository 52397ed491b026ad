"""Change-stream ids as clients send them back (``Last-Event-ID``, ``?since=``, ``?after=``).

Redis takes ``MS`` or ``MS-SEQ``, each part a 64-bit unsigned number, and answers anything
else with an error, which reached the client as a 500 (or cut a live stream short). Here an
id is checked first and refused with 422 and its reason.
"""

from __future__ import annotations

import re

from fastapi import HTTPException

ID = re.compile(r"([0-9]{1,20})(?:-([0-9]{1,20}))?")
PART_MAX = 2**64 - 1


def check_stream_id(value: str, name: str) -> str:
    """``value`` when it is a stream id Redis accepts; otherwise HTTP 422 naming ``name``."""
    m = ID.fullmatch(value)
    if m is None or any(int(part) > PART_MAX for part in m.groups() if part is not None):
        shown = value if len(value) <= 60 else f"{value[:60]}…"
        raise HTTPException(
            422, f"{name} must be a change-stream id 'MS-SEQ' (numbers below 2^64), got {shown!r}"
        )
    return value

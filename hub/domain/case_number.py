"""一事一码: the 20-digit case number, county(6) + date(8) + source(1) + sequence(5)."""

from __future__ import annotations

import datetime as dt
import re
from enum import IntEnum

_NUMBER = re.compile(r"^([0-9]{6})([0-9]{8})([12349])([0-9]{5})$")
MAX_SEQUENCE = 99_999


class Source(IntEnum):
    VIDEO_AI = 1
    GRID_MEMBER = 2
    HOTLINE = 3
    PUBLIC = 4
    OTHER = 9


def day_key(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def format_case_number(county: str, day: dt.date, source: Source, sequence: int) -> str:
    """Build a case number; the sequence comes from an atomic per-county, per-day counter."""
    if not re.fullmatch(r"[0-9]{6}", county):
        raise ValueError(f"county code must be 6 digits, got {county!r}")
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"case sequence {sequence} is outside 1..{MAX_SEQUENCE} for one day")
    return f"{county}{day_key(day)}{int(source)}{sequence:05d}"


def parse_case_number(number: str) -> tuple[str, dt.date, Source, int]:
    m = _NUMBER.match(number)
    if not m:
        raise ValueError(f"case number must be 20 digits with a known source digit, got {number!r}")
    try:
        day = dt.datetime.strptime(m[2], "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"case number {number!r} has a bad date {m[2]!r}") from None
    return m[1], day, Source(int(m[3])), int(m[4])

"""Report periods: a day, an ISO week (Monday on), a month or a quarter, as a half-open
range of instants in the district's time zone. Pure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PERIODS = ("day", "week", "month", "quarter")


def period_bounds(kind: str, day: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the period of ``kind`` that holds ``day``, local midnight to midnight."""
    if kind == "day":
        first, after = day, day + dt.timedelta(days=1)
    elif kind == "week":
        first = day - dt.timedelta(days=day.isoweekday() - 1)
        after = first + dt.timedelta(days=7)
    elif kind == "month":
        first = day.replace(day=1)
        after = _months_later(first, 1)
    elif kind == "quarter":
        first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        after = _months_later(first, 3)
    else:
        raise ValueError(f"period must be one of {list(PERIODS)}, got {kind!r}")
    tz = ZoneInfo(timezone)
    return (
        dt.datetime.combine(first, dt.time(), tz),
        dt.datetime.combine(after, dt.time(), tz),
    )


def _months_later(first: dt.date, months: int) -> dt.date:
    n = first.month - 1 + months
    return first.replace(year=first.year + n // 12, month=n % 12 + 1, day=1)

"""SLA deadlines on a working calendar (work periods, weekends, holidays, make-up days).

Pure: times are epoch milliseconds; the calendar's time zone gives local days and periods.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MS_PER_MIN = 60_000


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: str
    periods_min: tuple[tuple[int, int], ...]
    """Work periods of a working day as (start, end) minutes after local midnight."""
    weekend: frozenset[int] = frozenset({6, 7})
    holidays: frozenset[dt.date] = frozenset()
    makeup_workdays: frozenset[dt.date] = frozenset()

    @classmethod
    def from_strings(
        cls,
        timezone: str,
        periods: list[str],
        weekend: list[int],
        holidays: list[dt.date],
        makeup: list[dt.date],
    ) -> WorkingCalendar:
        spans = []
        for text in periods:
            a, b = text.split("-")
            spans.append((_minutes(a), _minutes(b)))
        return cls(
            timezone, tuple(spans), frozenset(weekend), frozenset(holidays), frozenset(makeup)
        )

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.isoweekday() not in self.weekend

    def add_working_minutes(self, start_ms: int, minutes: float) -> int:
        """The instant when ``minutes`` working minutes have passed after ``start_ms``."""
        if minutes < 0:
            raise ValueError(f"minutes must be >= 0, got {minutes}")
        tz = ZoneInfo(self.timezone)
        local = dt.datetime.fromtimestamp(start_ms / 1000, tz)
        day = local.date()
        left_ms = minutes * MS_PER_MIN
        for _ in range(3660):  # ten years of days: a calendar without working days is an error
            if self.is_working_day(day):
                midnight = dt.datetime.combine(day, dt.time(), tz)
                base_ms = int(midnight.timestamp() * 1000)
                for a, b in self.periods_min:
                    lo = max(base_ms + a * MS_PER_MIN, start_ms)
                    hi = base_ms + b * MS_PER_MIN
                    if hi <= lo:
                        continue
                    if left_ms <= hi - lo:
                        return int(lo + left_ms)
                    left_ms -= hi - lo
            day += dt.timedelta(days=1)
        raise ValueError("calendar has no working time in the next ten years")

    def working_minutes_between(self, start_ms: int, end_ms: int) -> float:
        """Working minutes in [start_ms, end_ms) (0 when end is before start)."""
        if end_ms <= start_ms:
            return 0.0
        tz = ZoneInfo(self.timezone)
        day = dt.datetime.fromtimestamp(start_ms / 1000, tz).date()
        last = dt.datetime.fromtimestamp(end_ms / 1000, tz).date()
        total = 0
        while day <= last:
            if self.is_working_day(day):
                base_ms = int(dt.datetime.combine(day, dt.time(), tz).timestamp() * 1000)
                for a, b in self.periods_min:
                    lo = max(base_ms + a * MS_PER_MIN, start_ms)
                    hi = min(base_ms + b * MS_PER_MIN, end_ms)
                    total += max(0, hi - lo)
            day += dt.timedelta(days=1)
        return total / MS_PER_MIN


def add_minutes(calendar: WorkingCalendar, clock: str, start_ms: int, minutes: float) -> int:
    """Deadline after ``minutes`` on the named clock: ``natural`` or ``working``."""
    if clock == "natural":
        return int(start_ms + minutes * MS_PER_MIN)
    if clock == "working":
        return calendar.add_working_minutes(start_ms, minutes)
    raise ValueError(f"SLA clock must be 'natural' or 'working', got {clock!r}")


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)

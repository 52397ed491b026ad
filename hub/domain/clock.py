"""The clock seam: domain code takes ``now_ms`` from a ``Clock``, never from ``time.time()``."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    """Wall-clock time in Unix epoch milliseconds."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FakeClock:
    """A clock tests move by hand, so SLA and escalation are tested without sleeping."""

    def __init__(self, start_ms: int) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, *, minutes: float = 0, seconds: float = 0, ms: int = 0) -> int:
        self._now += int(minutes * 60_000 + seconds * 1000) + ms
        return self._now

    def set(self, now_ms: int) -> None:
        self._now = now_ms


class SteadyClock:
    """Starts at ``start_ms`` and runs at the machine's pace: a whole running hub (timers,
    live pages, deadlines) on a chosen day, whatever the date is (tests whose figures hold
    the day, such as case numbers and the day's KPIs)."""

    def __init__(self, start_ms: int) -> None:
        self._start_ms = start_ms
        self._t0_ns = time.monotonic_ns()

    def now_ms(self) -> int:
        return self._start_ms + (time.monotonic_ns() - self._t0_ns) // 1_000_000

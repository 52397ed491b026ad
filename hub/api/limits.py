"""Failed logins are limited per client and per identity, in each hub process.

Each wrong credential counts against the client's address and, when the credential names
one (a ticket's holder), against that identity. Past ``max_failures`` in ``window_s`` the
client (or identity) is refused every credential, right or wrong, with 429 until its oldest
counted failure is ``window_s`` old: guessing stops, and a token guessed late does not work.
Counters live in memory (at most ``max_keys`` of them, the stalest dropped first); with N hub
processes behind one address a client gets N times the allowance.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class FailureLimit:
    def __init__(
        self,
        max_failures: int = 10,
        window_s: float = 60.0,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_failures < 1 or window_s <= 0:
            raise ValueError(
                f"need max_failures >= 1 and window_s > 0, got {max_failures}, {window_s}"
            )
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._seen.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._seen[key]
            return None
        return times

    def retry_after_s(self, *keys: str) -> float | None:
        """Seconds until the first blocked key of ``keys`` may try again; None if none is."""
        now = self._clock()
        waits = []
        for key in keys:
            times = self._recent(key, now)
            if times is not None and len(times) >= self.max_failures:
                waits.append(times[-self.max_failures] + self.window_s - now)
        return max(waits) if waits else None

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            times = self._recent(key, now) or deque(maxlen=self.max_failures)
            times.append(now)
            self._seen[key] = times
            self._seen.move_to_end(key)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)

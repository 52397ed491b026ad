"""Per-box token buckets: a box flooding the hub is parked, not allowed to starve the rest."""

from __future__ import annotations


class TokenBuckets:
    def __init__(self, rate_per_s: float, burst: float) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got {rate_per_s}, {burst}")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._state: dict[str, tuple[float, int]] = {}

    def allow(self, key: str, now_ms: int) -> bool:
        tokens, last = self._state.get(key, (self.burst, now_ms))
        tokens = min(self.burst, tokens + (now_ms - last) * self.rate_per_s / 1000)
        if tokens >= 1:
            self._state[key] = (tokens - 1, now_ms)
            return True
        self._state[key] = (tokens, now_ms)
        return False

"""Alert lifecycle of one (camera, zone, category): ``new`` → ``update`` → ``end``. Pure.

A condition must hold for ``hold_s`` before ``new`` (gaps shorter than 1.5 s, or ``clear_s``
if less, do not restart the hold); ``update`` follows on a significant
change or every ``update_interval_s``; ``end`` once the condition has been gone ``clear_s``.
The event id is derived from the key and start time, so it is stable across messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from edge.rules import Observation

StepType = Literal["new", "update", "end"]


@dataclass(frozen=True)
class Step:
    type: StepType
    event_id: str
    started_ms: int
    t_ms: int
    observation: Observation
    better_snapshot: bool


class AlertLifecycle:
    def __init__(
        self,
        key: str,
        hold_s: float,
        clear_s: float,
        update_interval_s: float,
        confidence_step: float = 0.15,
    ) -> None:
        self.key = key
        self.hold_ms = int(hold_s * 1000)
        self.clear_ms = int(clear_s * 1000)
        self.update_ms = int(update_interval_s * 1000)
        self.confidence_step = confidence_step
        self.grace_ms = min(self.clear_ms, 1500)
        self.pending_since: int | None = None
        self._pending_gap_since: int | None = None
        self.event_id: str | None = None
        self.started_ms = 0
        self.clear_since: int | None = None
        self._last_emit_ms = 0
        self._last_conf = 0.0
        self._last_count: object = None
        self._best_conf = 0.0
        self._last_obs: Observation | None = None

    @property
    def active(self) -> bool:
        return self.event_id is not None

    def step(self, t_ms: int, obs: Observation) -> Step | None:
        if self.event_id is None:
            return self._idle(t_ms, obs)
        if obs.holds:
            self.clear_since = None
            self._last_obs = obs
            count = obs.attributes.get("count")
            significant = (
                abs(obs.confidence - self._last_conf) >= self.confidence_step
                or count != self._last_count
            )
            if significant or t_ms - self._last_emit_ms >= self.update_ms:
                return self._emit("update", t_ms, obs)
            return None
        if self.clear_since is None:
            self.clear_since = t_ms
        if t_ms - self.clear_since >= self.clear_ms:
            return self.finish(t_ms)
        return None

    def finish(self, t_ms: int) -> Step | None:
        """End an active alert now (condition cleared, camera reconfigured or shut down)."""
        if self.event_id is None:
            return None
        last = self._last_obs or Observation(False)
        step = Step("end", self.event_id, self.started_ms, t_ms, last, False)
        self.event_id = None
        self.pending_since = None
        self._pending_gap_since = None
        self.clear_since = None
        return step

    def _idle(self, t_ms: int, obs: Observation) -> Step | None:
        if not obs.holds:
            # a detector that misses a frame or two does not restart the hold
            if self._pending_gap_since is None:
                self._pending_gap_since = t_ms
            if t_ms - self._pending_gap_since >= self.grace_ms:
                self.pending_since = None
            return None
        gap = self._pending_gap_since
        self._pending_gap_since = None
        if self.pending_since is None or (gap is not None and t_ms - gap >= self.grace_ms):
            self.pending_since = t_ms
        if t_ms - self.pending_since < self.hold_ms:
            return None
        self.event_id = f"{self.key}.{self.pending_since}"
        self.started_ms = self.pending_since
        self._best_conf = 0.0
        self._last_obs = obs
        return self._emit("new", t_ms, obs)

    def _emit(self, kind: StepType, t_ms: int, obs: Observation) -> Step:
        assert self.event_id is not None
        better = obs.confidence > self._best_conf + 0.05 or kind == "new"
        self._best_conf = max(self._best_conf, obs.confidence)
        self._last_emit_ms = t_ms
        self._last_conf = obs.confidence
        self._last_count = obs.attributes.get("count")
        return Step(kind, self.event_id, self.started_ms, t_ms, obs, better)

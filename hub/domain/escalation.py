"""Escalation as data ("721"): a policy of steps frozen onto each case when it is dispatched.

Step ``i`` leaves for step ``i + 1`` when, at its deadline, the case is not yet accepted
(or resolved). Each step escalates at most once; a reopened case starts again at step 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.domain.calendar import WorkingCalendar, add_minutes
from hub.domain.case_state import CaseView


@dataclass(frozen=True)
class Step:
    tier: str
    notify: tuple[str, ...]
    escalate_unless: str | None = None
    at: str | None = None
    fraction: float = 1.0


@dataclass(frozen=True)
class Sla:
    clock: str
    verify_dispatch_min: int
    accept_min: int
    dispose_min: int


@dataclass(frozen=True)
class FrozenPolicy:
    """The policy and SLA a case keeps for life, whatever later edits of the config say."""

    name: str
    steps: tuple[Step, ...]
    sla: Sla

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sla": self.sla.__dict__,
            "steps": [s.__dict__ | {"notify": list(s.notify)} for s in self.steps],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FrozenPolicy:
        steps = tuple(
            Step(
                s["tier"], tuple(s["notify"]), s.get("escalate_unless"), s.get("at"), s["fraction"]
            )
            for s in d["steps"]
        )
        return cls(d["name"], steps, Sla(**d["sla"]))


def step_deadline(
    policy: FrozenPolicy, step: int, dispatched_ms: int, calendar: WorkingCalendar
) -> int | None:
    """When step ``step`` escalates unless its condition holds; None for the last step."""
    s = policy.steps[step]
    if s.at is None:
        return None
    base = policy.sla.accept_min if s.at == "accept" else policy.sla.dispose_min
    return add_minutes(calendar, policy.sla.clock, dispatched_ms, base * s.fraction)


def should_escalate(view: CaseView, policy: FrozenPolicy, step: int) -> bool:
    """True when the timer of ``step`` fires on a case that is still at that step and unmet."""
    if not view.is_open or view.dispatched_ms is None or view.tier != step:
        return False
    if step + 1 >= len(policy.steps):
        return False
    cond = policy.steps[step].escalate_unless
    if cond == "accepted":
        return view.accepted_ms is None
    if cond == "resolved":
        return view.resolved_ms is None and view.state not in ("resolved",)
    return False


def sla_deadlines(
    policy: FrozenPolicy, reported_ms: int, dispatched_ms: int | None, calendar: WorkingCalendar
) -> dict[str, int]:
    """The case's SLA deadlines: dispatch (from report), accept and dispose (from dispatch)."""
    out = {
        "dispatch_due_ms": add_minutes(
            calendar, policy.sla.clock, reported_ms, policy.sla.verify_dispatch_min
        )
    }
    if dispatched_ms is not None:
        out["accept_due_ms"] = add_minutes(
            calendar, policy.sla.clock, dispatched_ms, policy.sla.accept_min
        )
        out["dispose_due_ms"] = add_minutes(
            calendar, policy.sla.clock, dispatched_ms, policy.sla.dispose_min
        )
    return out

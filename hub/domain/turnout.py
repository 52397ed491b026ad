"""1+1+X turnout: how long from a joint command until every named unit acknowledged it.

Pure and table-tested. A joint command names a commander, a lead unit and X cooperating units
(``facts["joint"]``); it is given at ``facts["joint_ms"]`` (the dispatch that carried it, or a
later ``joint`` action, which starts the count again), and each unit's first acknowledgement
is kept in ``facts["joint_acks"]`` (person → ms). The practice this follows expects every unit
on the move within 10 minutes of the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class TurnoutError(ValueError):
    """An acknowledgement from someone the joint command does not name, or with no command."""


@dataclass(frozen=True)
class Turnout:
    commanded_ms: int
    units: tuple[str, ...]
    acked: dict[str, int]
    pending: tuple[str, ...]
    target_s: float
    complete_ms: int | None
    """When the last named unit acknowledged; None while some have not."""
    turnout_s: float | None
    on_time: bool | None
    """Whether all acknowledged within the target; None while pending and not yet late."""
    elapsed_s: float
    """Since the command: until the last acknowledgement, or until now while pending."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__) | {"units": list(self.units), "pending": list(self.pending)}


def named_units(joint: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Commander, lead unit and cooperating units, each once, in that order."""
    j = joint or {}
    named = [j.get("commander"), j.get("lead"), *(j.get("cooperating") or ())]
    return tuple(dict.fromkeys(str(p) for p in named if p))


def check_ack(joint: Mapping[str, Any] | None, person: str | None) -> str:
    if not joint:
        raise TurnoutError("the case has no 1+1+X command to acknowledge")
    units = named_units(joint)
    if not person or person not in units:
        raise TurnoutError(f"{person!r} is not named in the 1+1+X command ({list(units)})")
    return person


def turnout(facts: Mapping[str, Any], now_ms: int, target_s: float) -> Turnout | None:
    """The turnout of the case's joint command now; None if it has none."""
    joint, commanded = facts.get("joint"), facts.get("joint_ms")
    units = named_units(joint)
    if not units or commanded is None:
        return None
    start = int(commanded)
    all_acks: Mapping[str, Any] = facts.get("joint_acks") or {}
    acked = {p: int(all_acks[p]) for p in units if p in all_acks}
    pending = tuple(p for p in units if p not in acked)
    complete = max(acked.values()) if not pending else None
    end = complete if complete is not None else now_ms
    elapsed = max(0.0, (end - start) / 1000)
    if complete is not None:
        on_time: bool | None = elapsed <= target_s
    else:
        on_time = False if elapsed > target_s else None
    return Turnout(
        start,
        units,
        acked,
        pending,
        target_s,
        complete,
        elapsed if complete is not None else None,
        on_time,
        elapsed,
    )

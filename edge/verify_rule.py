"""The verification rule: is a resolved problem gone, still there, or for a person to judge? Pure.

Two witnesses must agree before a case verifies by camera: the detector finds nothing of
the case's classes in the zone even at a threshold lower than the alert's, **and** the zone
no longer looks like the alarm frame (``edge.scene_change``). Either witness alone can be
fooled: a detector blind to this pile says "nothing" while the pile is still there; a
person walking through makes a zone look changed. So:

- ``present``: some class scores at or above its alert threshold (what raised the alarm
  would raise it again);
- ``uncertain``: a weak detection (between the verify and the alert threshold), or nothing
  found but the zone still looks like the alarm frame, or no alarm frame to compare with;
  a person decides, with both frames side by side;
- ``clear``: nothing at the verify threshold and the zone changed at least ``change_min``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Result = Literal["clear", "present", "uncertain"]


@dataclass(frozen=True)
class Evidence:
    """What the current frame shows of one thing the case is about.

    ``name`` is a detector class (or ``haze`` for the dust rule's haze score); ``score`` the
    highest confidence of that class inside the zone (0 when none); ``verify_at`` and
    ``alert_at`` its verify and alert thresholds.
    """

    name: str
    score: float
    verify_at: float
    alert_at: float

    def __post_init__(self) -> None:
        for label, value in (("score", self.score), ("alert_at", self.alert_at)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{self.name}: {label} must be within 0..1, got {value}")
        if not 0.0 <= self.verify_at <= self.alert_at:
            raise ValueError(
                f"{self.name}: verify_at must be within 0..alert_at {self.alert_at}, "
                f"got {self.verify_at}"
            )


@dataclass(frozen=True)
class Verdict:
    result: Result
    reason: str


def verify_threshold(alert_at: float, ratio: float, floor: float) -> float:
    """``ratio`` × the alert threshold, never under ``floor`` (the detector reports nothing
    below its own confidence floor) and never over the alert threshold."""
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f"verify ratio must be within (0, 1], got {ratio}")
    return min(alert_at, max(floor, alert_at * ratio))


def decide(
    evidence: Sequence[Evidence],
    change: float | None,
    change_min: float,
    no_change_reason: str = "there is no alarm frame to compare with",
) -> Verdict:
    """The verdict for one look at the zone.

    ``change`` is the scene-change score (0 same … 1 unrelated) against the alarm frame, or
    None when it could not be measured (``no_change_reason`` says why).
    """
    if not evidence:
        raise ValueError("a verdict needs at least one evidence row (the case's classes)")
    if not 0.0 < change_min <= 1.0:
        raise ValueError(f"change_min must be within (0, 1], got {change_min}")
    if change is not None and not 0.0 <= change <= 1.0:
        raise ValueError(f"change must be within 0..1, got {change}")
    strongest = max(evidence, key=lambda e: e.score / e.alert_at if e.alert_at else e.score)
    found = [e for e in evidence if e.score >= e.alert_at]
    if found:
        e = max(found, key=lambda e: e.score)
        return Verdict(
            "present", f"{e.name} {e.score:.2f} at or above its alert threshold {e.alert_at:.2f}"
        )
    weak = [e for e in evidence if e.score >= e.verify_at]
    if weak:
        e = max(weak, key=lambda e: e.score / e.alert_at)
        return Verdict(
            "uncertain",
            f"{e.name} {e.score:.2f} is between its verify threshold {e.verify_at:.2f} "
            f"and its alert threshold {e.alert_at:.2f}",
        )
    nothing = f"nothing found at the verify threshold ({strongest.name} {strongest.score:.2f})"
    if change is None:
        return Verdict("uncertain", f"{nothing}, but {no_change_reason}")
    if change < change_min:
        return Verdict(
            "uncertain",
            f"{nothing}, but the zone still looks like the alarm frame "
            f"(change {change:.2f} < {change_min:.2f})",
        )
    return Verdict("clear", f"{nothing} and the zone changed ({change:.2f} >= {change_min:.2f})")

"""The three alert rules as pure functions of tracks (and a haze score) at one moment.

Each returns an ``Observation``: whether the condition holds now, how sure we are, which
tracks support it. How long it must hold (and clearing) is ``lifecycle.py``'s job; dumped
waste carries its own hold, the time the object has stood still.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from contracts.cameras import ZoneRules
from edge.tracker import Box, Track


@dataclass(frozen=True)
class Observation:
    holds: bool
    confidence: float = 0.0
    tracks: tuple[Track, ...] = ()
    attributes: dict[str, bool | int | float | str] = field(default_factory=dict)


NOTHING = Observation(False)


def on_top(upper: Box, lower: Box) -> bool:
    """``upper`` rests on ``lower``: overlapping columns, its foot near the other's top."""
    overlap = min(upper[2], lower[2]) - max(upper[0], lower[0])
    narrower = min(upper[2] - upper[0], lower[2] - lower[0])
    if narrower <= 0 or overlap < 0.5 * narrower:
        return False
    lower_h = lower[3] - lower[1]
    foot, top = upper[3], lower[1]
    upper_cy, lower_cy = (upper[1] + upper[3]) / 2, (lower[1] + lower[3]) / 2
    return upper_cy < lower_cy and top - 0.25 * lower_h <= foot <= top + 0.35 * lower_h


def cylinders(tracks: list[Track], rules: ZoneRules) -> Observation:
    """N or more cylinders in the zone, or one standing on another."""
    if not tracks:
        return NOTHING
    stacked = [(a, b) for a in tracks for b in tracks if a is not b and on_top(a.xyxy, b.xyxy)]
    many = len(tracks) >= rules.cylinder_min_count
    if not (many or stacked):
        return NOTHING
    involved = tracks if many else list({id(t): t for p in stacked for t in p}.values())
    conf = sum(t.best_confidence for t in involved) / len(involved)
    return Observation(
        True,
        conf,
        tuple(involved),
        {"count": len(tracks), "stacked": bool(stacked)},
    )


def waste(tracks: list[Track], rules: ZoneRules) -> Observation:
    """A waste object that has stayed still for ``waste_still_s`` (a carried bag keeps moving)."""
    still = [t for t in tracks if t.still_s() >= rules.waste_still_s]
    if not still:
        return NOTHING
    conf = max(t.best_confidence for t in still)
    return Observation(
        True,
        conf,
        tuple(still),
        {"count": len(still), "still_s": round(max(t.still_s() for t in still), 1)},
    )


def dust(
    tracks: list[Track],
    haze_excess: float | None,
    pm10_ug_m3: float | None,
    rules: ZoneRules,
) -> Observation:
    """A dust detection, or haze above the zone's baseline; a high PM10 reading raises confidence."""
    by_haze = (
        rules.dust_haze_margin is not None
        and haze_excess is not None
        and haze_excess > rules.dust_haze_margin
    )
    if not tracks and not by_haze:
        return NOTHING
    conf = max((t.best_confidence for t in tracks), default=0.0)
    attrs: dict[str, bool | int | float | str] = {"by_detector": bool(tracks), "by_haze": by_haze}
    if by_haze and haze_excess is not None:
        margin = rules.dust_haze_margin or 0.0
        conf = max(conf, 0.5 + 0.5 * math.tanh(4 * (haze_excess - margin)))
        attrs["haze_excess"] = round(haze_excess, 3)
    if pm10_ug_m3 is not None:
        attrs["pm10_ug_m3"] = round(pm10_ug_m3, 1)
        if pm10_ug_m3 >= rules.pm10_high_ug_m3:
            conf = min(1.0, conf + 0.15)
            attrs["pm10_high"] = True
    return Observation(True, min(conf, 1.0), tuple(tracks), attrs)


def hold_s(rule: str, rules: ZoneRules) -> float:
    """How long a rule's condition must hold before an alert starts."""
    if rule == "gas_cylinder_stack":
        return rules.cylinder_hold_s
    if rule == "dust":
        return rules.dust_hold_s
    return 0.0  # waste: the stillness time is the hold

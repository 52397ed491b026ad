"""Alert → alarm → case decisions, pure and table-tested.

An alarm is keyed ``camera:zone:category`` with one active alarm per key. ``alarm_step``
is the rule the atomic Redis script applies; it is written here once more in Python so the
table tests state the rule and the integration tests check the script against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["new", "update", "duplicate", "ending", "suppressed", "stray_end"]
Route = Literal["auto", "verify"]


@dataclass(frozen=True)
class AlarmRules:
    clear_after_ms: int
    """The condition must be gone this long (after an 'end') before the alarm clears."""
    rearm_ms: int
    """After a clear, a new alert on the same key within this delay is counted, not raised."""
    recurrence_ms: int
    """A new alarm within this time of its key's last closed case reopens that case."""
    merge_radius_m: float
    """Open cases of the same grid and category within this distance take the alarm."""


@dataclass(frozen=True)
class AlarmSnapshot:
    state: Literal["active", "ending", "cleared"]
    event_id: str
    last_seq: int
    cleared_ms: int | None = None


def alarm_key(camera_id: str, zone_id: str, category: str) -> str:
    return f"{camera_id}:{zone_id}:{category}"


def alarm_step(
    prev: AlarmSnapshot | None, kind: str, event_id: str, seq: int, at_ms: int, rules: AlarmRules
) -> Outcome:
    """What one alert does to the alarm of its key."""
    if prev is None or prev.state == "cleared":
        if kind == "end":
            return "stray_end"
        if (
            prev is not None
            and prev.cleared_ms is not None
            and at_ms < prev.cleared_ms + rules.rearm_ms
        ):
            return "suppressed"
        return "new"
    if prev.event_id == event_id and seq <= prev.last_seq:
        return "duplicate"
    if kind == "end":
        return "ending"
    return "update"


def clear_due(gone_since_ms: int, rules: AlarmRules) -> int:
    return gone_since_ms + rules.clear_after_ms


def route(confidence: float, auto_file_confidence: float) -> Route:
    """High-confidence alarms file themselves; the rest wait for an operator."""
    return "auto" if confidence >= auto_file_confidence else "verify"


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine on a 6,371 km sphere)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def should_reopen(last_closed_ms: int | None, now_ms: int, rules: AlarmRules) -> bool:
    return last_closed_ms is not None and now_ms - last_closed_ms <= rules.recurrence_ms

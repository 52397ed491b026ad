"""Box and camera health from what the hub last heard, and the alarms that follow. Pure code.

A box is ``offline`` when its retained availability says so (its last will) or when no
heartbeat (``BoxStats``) arrived for ``timeout_s``; ``not_started`` while the hub has heard
nothing from it at all (listed in the district, not installed or not started yet: no alarm);
``unknown`` when it said ``online`` but no heartbeat has come yet; a camera is offline when
its box is, or when the box reports it ``offline``/``reconnecting``. ``alarm_changes`` turns
two successive health pictures into raise/clear steps, one per alarm key, so an alarm is
raised once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from contracts.messages import BoxStats

BoxState = Literal["online", "offline", "unknown", "not_started"]


@dataclass(frozen=True)
class CameraHealth:
    camera_id: str
    state: str
    ok: bool
    capture_fps: float | None = None
    detect_fps: float | None = None
    inference_ms: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class BoxHealth:
    box_id: str
    state: BoxState
    reason: str | None
    last_seen_ms: int | None
    stats: dict[str, Any] | None
    cameras: tuple[CameraHealth, ...] = ()
    config_ack: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "box_id": self.box_id,
            "state": self.state,
            "reason": self.reason,
            "last_seen_ms": self.last_seen_ms,
            "stats": self.stats,
            "cameras": [c.__dict__ for c in self.cameras],
            "config_ack": self.config_ack,
        }


@dataclass(frozen=True)
class AlarmChange:
    key: str  # box:{box_id} or camera:{box_id}:{camera_id}
    action: Literal["raise", "clear"]
    box_id: str
    camera_id: str | None
    reason: str
    at_ms: int
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def parse_stats(raw: str | None) -> tuple[BoxStats | None, dict[str, Any] | None]:
    """A heartbeat as kept in Redis → the model and its JSON form (None, None if absent or
    not valid)."""
    if not raw:
        return None, None
    try:
        stats = BoxStats.model_validate_json(raw)
    except ValidationError:
        return None, None
    return stats, stats.model_dump(mode="json")


def health_expires_ms(record: dict[str, str], now_ms: int, timeout_s: float) -> int | None:
    """Until when ``box_health(record, now_ms, ...)`` stays true while ``record`` does not
    change: an online box goes offline once its last heartbeat is ``timeout_s`` old, and a box
    gone silent has a reason that counts the seconds (good for this moment only). ``None``:
    only a change of the record changes its health (not started, said offline, unknown)."""
    if record.get("state") == "offline" or not record.get("last_seen_ms"):
        return None
    deadline = int(record["last_seen_ms"]) + int(timeout_s * 1000)
    return deadline + 1 if now_ms <= deadline else now_ms + 1


def box_health(
    box_id: str,
    record: dict[str, str],
    now_ms: int,
    timeout_s: float,
    expected_cameras: tuple[str, ...] = (),
    parsed: tuple[BoxStats | None, dict[str, Any] | None] | None = None,
) -> BoxHealth:
    """Health of one box from its Redis record (``state``, ``last_seen_ms``, ``stats``).
    ``parsed``: ``parse_stats(record["stats"])`` when the caller has it already."""
    last_seen = int(record["last_seen_ms"]) if record.get("last_seen_ms") else None
    stats, stats_json = parsed if parsed is not None else parse_stats(record.get("stats"))
    ack = json.loads(record["config_ack"]) if record.get("config_ack") else None
    state: BoxState
    if record.get("state") == "offline":
        state, reason = "offline", "the box said offline (or its connection dropped: last will)"
    elif last_seen is None and not record.get("state"):
        state, reason = "not_started", "never heard from: not started yet"
    elif last_seen is None:
        state, reason = "unknown", "said online, no heartbeat yet"
    elif now_ms - last_seen > timeout_s * 1000:
        state = "offline"
        reason = f"no heartbeat for {(now_ms - last_seen) / 1000:.0f} s (timeout {timeout_s:g} s)"
    else:
        state, reason = "online", None
    reported = {c.camera_id: c for c in (stats.cameras if stats else ())}
    cams = []
    for cam_id in sorted(set(expected_cameras) | set(reported)):
        c = reported.get(cam_id)
        if state == "not_started":
            cams.append(CameraHealth(cam_id, "not_started", False, reason="box not started"))
        elif state != "online":
            cams.append(CameraHealth(cam_id, "offline", False, reason=f"box {state}"))
        elif c is None:
            cams.append(CameraHealth(cam_id, "missing", False, reason="not in the box's heartbeat"))
        else:
            ok = c.state in ("online", "starting")
            cams.append(
                CameraHealth(
                    cam_id, c.state, ok, c.capture_fps, c.detect_fps, c.inference_ms, c.reason
                )
            )
    return BoxHealth(
        box_id,
        state,
        reason,
        last_seen,
        stats_json,
        tuple(cams),
        ack,
    )


def active_alarms(h: BoxHealth) -> dict[str, tuple[str | None, str]]:
    """Alarm key → (camera id, reason) for everything wrong with this box now."""
    if h.state == "offline":
        return {f"box:{h.box_id}": (None, h.reason or "offline")}
    if h.state in ("unknown", "not_started"):
        return {}
    return {
        f"camera:{h.box_id}:{c.camera_id}": (c.camera_id, c.reason or c.state)
        for c in h.cameras
        if not c.ok
    }


def alarm_changes(
    box_id: str, raised: set[str], now: dict[str, tuple[str | None, str]], at_ms: int
) -> list[AlarmChange]:
    """Steps from the alarms ``raised`` so far for a box to the alarms true ``now``."""
    out = [
        AlarmChange(key, "raise", box_id, cam, reason, at_ms)
        for key, (cam, reason) in sorted(now.items())
        if key not in raised
    ]
    out += [
        AlarmChange(key, "clear", box_id, _camera(key), "back online", at_ms)
        for key in sorted(raised - set(now))
    ]
    return out


def _camera(key: str) -> str | None:
    parts = key.split(":")
    return parts[2] if parts[0] == "camera" else None

"""What the wall shows of an alarm or a case, built from the hub's own records. Pure.

The wall's alarm id is the hub's alarm key ``camera:zone:category``. An alarm waiting in
the hub's verification queue shows as ``verifying`` with a countdown to its verify-and-
dispatch deadline; a case shows its number, state, category (the operator's edit, if any),
grid, assignees and the case's own current deadline, which the hub computed on the working
calendar when it filed and dispatched the case. The wall never computes a deadline itself:
the caller passes the one for a queued alarm (``hub.domain.escalation.sla_deadlines``).

Both draw the detector's boxes on the snapshot: a queued alarm those of the alert that
raised it, a case those the hub's alarm record holds (its latest alert with boxes, and the
snapshot that alert named), so a case filed automatically, which the wall never saw queued,
shows them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.district.load import District
from hub.domain.turnout import named_units

SEVERITY = {"routine": 1, "urgent": 2}

# the deadline a case in each state is working towards
_DEADLINE_BY_STATE = {
    "reported": "dispatch_due_ms",
    "verifying": "dispatch_due_ms",
    "filed": "dispatch_due_ms",
    "dispatched": "accept_due_ms",
    "returned": "accept_due_ms",
    "reopened": "accept_due_ms",
    "accepted": "dispose_due_ms",
    "in_progress": "dispose_due_ms",
    "rework": "dispose_due_ms",
    "postpone_requested": "dispose_due_ms",
    "suspended": "dispose_due_ms",
    "resolved": "dispose_due_ms",
}


class UnknownPlace(ValueError):
    """An alert names a camera, zone or category the district does not know."""


def current_deadline(state: str, facts: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """(which deadline, when) a case in ``state`` runs to; (None, None) for a closed one.
    Falls back to the dispatch deadline when the state's own one is not set yet."""
    name = _DEADLINE_BY_STATE.get(state)
    if name is None:
        return None, None
    for key in (name, "dispatch_due_ms"):
        if facts.get(key) is not None:
            return key.removesuffix("_due_ms"), int(facts[key])
    return None, None


def _place(district: District, camera_id: str, zone_id: str, category: str) -> dict[str, Any]:
    camera = district.cameras.get(camera_id)
    if camera is None:
        raise UnknownPlace(f"camera {camera_id!r} is not in the district")
    zone = next((z for z in camera.zones if z.zone_id == zone_id), None)
    if zone is None:
        raise UnknownPlace(f"zone {zone_id!r} is not a zone of camera {camera_id!r}")
    cat = district.categories.get(category)
    if cat is None:
        raise UnknownPlace(f"category {category!r} is not in the district")
    return {
        "camera_id": camera.camera_id,
        "camera_name": camera.name,
        "zone_id": zone.zone_id,
        "zone_name": zone.name,
        "category": cat.code,
        "category_zh": cat.name_zh,
        "category_en": cat.name_en,
        "lon": zone.target.lon,
        "lat": zone.target.lat,
    }


def _grid(district: District, grid_code: str | None) -> dict[str, Any]:
    grid = district.grids.get(grid_code) if grid_code else None
    return {"grid_code": grid_code, "grid_name": grid.name_zh if grid else None}


def people_case(district: District, case_no: str, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The ticker line of a case from people (a patrol, a citizen, 12345, an operator): it has
    no camera and no tile; the wall's live stream sends it to the walls of its place."""
    cat = district.categories.get(str(facts.get("category")))
    return {
        "case_no": case_no,
        "source": facts.get("source"),
        **_grid(district, str(facts.get("grid_code") or "") or None),
        "category": str(facts.get("category")),
        "category_zh": cat.name_zh if cat else None,
        "category_en": cat.name_en if cat else None,
        "department": facts.get("department"),
    }


def _box(b: Mapping[str, Any]) -> dict[str, Any]:
    """One box as a tile draws it (normalised xyxy, class, confidence)."""
    return {
        "xyxy_norm": list(b["xyxy_norm"]),
        "class_name": b.get("class_name"),
        "confidence": b.get("confidence"),
    }


def queued_alarm(
    district: District, key: str, alert: Mapping[str, Any], grid_code: str | None, deadline_ms: int
) -> dict[str, Any]:
    """An alarm in the hub's verification queue, from the alert that raised it."""
    category = district.categories.get(str(alert.get("category")))
    urgency = category.urgency if category else "routine"
    return {
        "alarm_id": key,
        **_place(district, str(alert["camera_id"]), str(alert["zone_id"]), str(alert["category"])),
        **_grid(district, grid_code),
        "urgency": urgency,
        "severity": SEVERITY[urgency],
        "confidence": float(alert.get("confidence") or 0),
        "boxes": [_box(b) for b in alert.get("boxes") or ()],
        "snapshot_id": alert.get("snapshot_id"),
        "started_ms": int(alert["started_at_ms"]),
        "ended_ms": alert.get("ended_at_ms"),
        "deadline_ms": deadline_ms,
        "deadline_kind": "dispatch",
        "status": "verifying",
        "case_no": None,
        "assignees": [],
    }


def case_alarm(
    district: District,
    key: str,
    state: str,
    facts: Mapping[str, Any],
    assignees: list[dict[str, Any]],
    reported_ms: int,
    old: Mapping[str, Any] | None = None,
    detection: Mapping[str, Any] | None = None,
    turnout_target_s: float = 600.0,
) -> dict[str, Any]:
    """The wall's view of alarm ``key`` once it belongs to a case (facts from the case log).
    The boxes and their snapshot come from ``detection`` (the hub's alarm record:
    ``boxes``, ``boxes_snapshot_id``, as ``hub.api.alarms.alarm_detection`` reads it);
    where it has none, from the queued alarm ``old`` the wall showed before."""
    camera_id, zone_id, _ = key.split(":")
    category = str(facts["category"])
    urgency = str(facts.get("urgency") or district.categories[category].urgency)
    kind, due = current_deadline(state, facts)
    old = old or {}
    boxes = [_box(b) for b in (detection or {}).get("boxes") or ()]
    snapshot = facts.get("snapshot_id") or old.get("snapshot_id")
    if boxes:
        snapshot = (detection or {}).get("boxes_snapshot_id") or snapshot
    else:
        boxes = list(old.get("boxes") or [])
    return {
        "alarm_id": key,
        **_place(district, camera_id, zone_id, category),
        **_grid(district, str(facts.get("grid_code") or "") or None),
        "detected_category": facts.get("detected_category"),
        "urgency": urgency,
        "severity": SEVERITY.get(urgency, 1),
        "confidence": float(facts.get("confidence") or old.get("confidence") or 0),
        "boxes": boxes,
        "snapshot_id": snapshot,
        "started_ms": int(old.get("started_ms") or reported_ms),
        "ended_ms": old.get("ended_ms"),
        "deadline_ms": due,
        "deadline_kind": kind,
        "status": state,
        "case_no": str(facts["case_no"]),
        "assignees": assignees,
        "joint": facts.get("joint"),
        "turnout": _turnout(facts, turnout_target_s),
    }


def _turnout(facts: Mapping[str, Any], target_s: float) -> dict[str, Any] | None:
    """The 1+1+X command's units and acknowledgements; the tile counts the time itself."""
    units = named_units(facts.get("joint"))
    if not units or facts.get("joint_ms") is None:
        return None
    acks = facts.get("joint_acks") or {}
    acked = [int(acks[u]) for u in units if u in acks]
    return {
        "units": len(units),
        "acked": len(acked),
        "commanded_ms": int(facts["joint_ms"]),
        "complete_ms": max(acked) if len(acked) == len(units) else None,
        "target_s": target_s,
    }

"""What the wall shows of an alarm, built from a contract alert and the district. Pure.

The alarm key is ``camera:zone:category`` (one active alarm per key); the grid comes from
where the zone looks (its target point), and the countdown runs to the verify-and-dispatch
deadline of the category's SLA profile (natural minutes here: the working-minute calendar
belongs to the hub's case service).
"""

from __future__ import annotations

from typing import Any

from contracts.messages import AlertEvent
from hub.district.load import District

SEVERITY = {"routine": 1, "urgent": 2}


class UnknownPlace(ValueError):
    """An alert names a camera, zone or category the district does not know."""


def alarm_key(event: AlertEvent) -> str:
    return f"{event.camera_id}:{event.zone_id}:{event.category}"


def sla_minutes(district: District, street_code: str, category: str) -> int:
    profile = district.categories[category].sla_profile
    for o in district.sla.overrides:
        if o.street_code == street_code and o.category == category:
            profile = o.profile
    return district.sla.profiles[profile].verify_dispatch_min


def alarm_detail(district: District, event: AlertEvent) -> dict[str, Any]:
    """The wall's view of one alert: place, category, boxes, snapshot and deadline."""
    camera = district.cameras.get(event.camera_id)
    if camera is None:
        raise UnknownPlace(f"camera {event.camera_id!r} is not in the district")
    zone = next((z for z in camera.zones if z.zone_id == event.zone_id), None)
    if zone is None:
        raise UnknownPlace(f"zone {event.zone_id!r} is not a zone of camera {camera.camera_id!r}")
    category = district.categories.get(event.category)
    if category is None:
        raise UnknownPlace(f"category {event.category!r} is not in the district")
    grid_code = district.grid_index.locate(zone.target.lon, zone.target.lat)
    grid = district.grids.get(grid_code) if grid_code else None
    street = grid_code[:9] if grid_code else ""
    minutes = sla_minutes(district, street, event.category)
    return {
        "alarm_id": alarm_key(event),
        "event_id": event.event_id,
        "camera_id": camera.camera_id,
        "camera_name": camera.name,
        "zone_id": zone.zone_id,
        "zone_name": zone.name,
        "category": category.code,
        "category_zh": category.name_zh,
        "category_en": category.name_en,
        "urgency": category.urgency,
        "severity": SEVERITY[category.urgency],
        "grid_code": grid_code,
        "grid_name": grid.name_zh if grid else None,
        "lon": zone.target.lon,
        "lat": zone.target.lat,
        "confidence": event.confidence,
        "boxes": [
            {"xyxy_norm": list(b.xyxy_norm), "class_name": b.class_name, "confidence": b.confidence}
            for b in event.boxes
        ],
        "snapshot_id": event.snapshot_id,
        "started_ms": event.started_at_ms,
        "updated_ms": event.updated_at_ms,
        "ended_ms": event.ended_at_ms,
        "deadline_ms": event.started_at_ms + minutes * 60_000,
        "status": "verifying",
        "case_no": None,
    }


def merge_update(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """An update or end of the same alarm: keep its start, status and case, take the rest."""
    keep: dict[str, Any] = {
        k: old[k] for k in ("started_ms", "deadline_ms", "status", "case_no") if k in old
    }
    if not new.get("snapshot_id"):
        keep["snapshot_id"] = old.get("snapshot_id")
    if old.get("status") != "verifying":
        keep["category"] = old["category"]
        keep["urgency"] = old["urgency"]
        keep["severity"] = old["severity"]
    return {**new, **keep}

"""Zones set remotely: the hub's zone editor replaces a camera's zones and nothing else.

A box config may carry ``zones: {camera_id: [zone, ...]}``; each list replaces that camera's
zones from ``cameras``/``cameras_file`` (its stream, mount and masks stay the box's own), and
is checked with the same model as a zone in the cameras file, self-intersection included.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from contracts.cameras import Camera, Zone
from contracts.config_problems import ConfigProblem, problem, problems_from_validation

ZONES = TypeAdapter(list[Zone])


def with_zones(
    cameras: list[Camera], zones: dict[str, list[dict[str, Any]]] | None, file: str
) -> tuple[list[Camera], list[ConfigProblem]]:
    """``cameras`` with the remote zones in place, and what was wrong with them."""
    if not zones:
        return cameras, []
    by_id = {c.camera_id: c for c in cameras}
    problems = [
        problem(file, f"zones.{cam_id}", "not a camera of this box", cam_id)
        for cam_id in sorted(set(zones) - set(by_id))
    ]
    out = []
    for cam in cameras:
        raw = zones.get(cam.camera_id)
        if raw is None:
            out.append(cam)
            continue
        try:
            parsed = ZONES.validate_python(raw)
        except ValidationError as exc:
            problems += problems_from_validation(exc, file, raw, f"zones.{cam.camera_id}")
            continue
        try:  # unique zone ids, 1..32 zones: the camera's own checks
            out.append(Camera.model_validate(cam.model_dump() | {"zones": parsed}))
        except ValidationError as exc:
            body = {"zones": raw}
            problems += problems_from_validation(exc, file, body, f"zones.{cam.camera_id}")
    return out, problems

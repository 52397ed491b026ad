"""A technician's drawn zones: checked, and each target placed in its grid. Pure code.

The same checks the box runs (``contracts.cameras.Zone``, self-intersection included) plus
what only the hub knows: the categories of the district, and whether each target lies in a
grid (an alert of a zone looking at no grid would be parked, never become a case).
Every problem names its zone and says what is wrong in words the page shows as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from contracts.cameras import Camera, Zone
from contracts.zone_geometry import zone_problems

ZONES = TypeAdapter(list[Zone])
Locate = Callable[[float, float], str | None]


@dataclass(frozen=True)
class ZoneCheck:
    """One drawn zone: its id as drawn, where its target falls, and what is wrong with it."""

    zone_id: str
    grid_code: str | None
    problems: tuple[str, ...]

    def to_dict(self, grid_names: Mapping[str, str]) -> dict[str, Any]:
        return {
            "zone_id": self.zone_id,
            "grid_code": self.grid_code,
            "grid_name": grid_names.get(self.grid_code or ""),
            "problems": list(self.problems),
        }


def _label(raw: Any, k: int) -> str:
    zid = raw.get("zone_id") if isinstance(raw, dict) else None
    return str(zid) if isinstance(zid, str) and zid else f"#{k + 1}"


def _target(raw: Any) -> tuple[float, float] | None:
    t = raw.get("target") if isinstance(raw, dict) else None
    if not isinstance(t, dict):
        return None
    lon, lat = t.get("lon"), t.get("lat")
    if isinstance(lon, int | float) and isinstance(lat, int | float):
        return float(lon), float(lat)
    return None


def _validation_words(exc: ValidationError) -> list[str]:
    out = []
    for e in exc.errors(include_url=False):
        where = ".".join(str(p) for p in e["loc"][1:]) or "zone"
        msg = e["msg"].removeprefix("Value error, ")
        if where.startswith("polygon_norm") and "crosses" in msg:
            out.append(msg.removeprefix("polygon_norm: "))
        else:
            out.append(f"{where}: {msg}")
    return out


def check_zones(
    camera: Camera,
    drawn: list[Any],
    categories: Iterable[str],
    locate: Locate,
) -> tuple[list[Zone] | None, list[ZoneCheck]]:
    """The zones to push (None if any is refused) and, per drawn zone, its grid and problems."""
    known = set(categories)
    checks: list[ZoneCheck] = []
    parsed: list[Zone] = []
    if not drawn:
        return None, [ZoneCheck("camera", None, ("a camera needs at least one zone",))]
    seen: set[str] = set()
    for k, raw in enumerate(drawn):
        label = _label(raw, k)
        problems: list[str] = []
        points = raw.get("polygon_norm") if isinstance(raw, dict) else None
        if isinstance(points, list) and all(
            isinstance(p, list | tuple) and all(isinstance(c, int | float) for c in p)
            for p in points
        ):
            problems += zone_problems(points)
        zone: Zone | None = None
        if not problems:
            try:
                zone = ZONES.validate_python([raw])[0]
            except ValidationError as exc:
                problems += _validation_words(exc)
        for code in raw.get("categories", []) if isinstance(raw, dict) else []:
            if isinstance(code, str) and code not in known:
                problems.append(f"category {code!r} is not in the district's categories")
        if label in seen:
            problems.append(f"zone id {label!r} is used twice")
        seen.add(label)
        target = _target(raw)
        grid = locate(*target) if target else None
        if target and grid is None:
            problems.append(
                f"target ({target[0]:.6f}, {target[1]:.6f}) is in no grid: "
                "its alerts could not be placed"
            )
        checks.append(ZoneCheck(label, grid, tuple(problems)))
        if zone is not None:
            parsed.append(zone)
    if any(c.problems for c in checks):
        return None, checks
    try:
        Camera.model_validate(camera.model_dump() | {"zones": parsed})
    except ValidationError as exc:
        return None, [*checks, ZoneCheck("camera", None, tuple(_validation_words(exc)))]
    return parsed, checks


def refusal(checks: list[ZoneCheck]) -> str:
    """One line a person reads: every zone's problems, by zone."""
    return "; ".join(f"zone {c.zone_id}: {p}" for c in checks for p in c.problems)

"""Rooms scoped to their area: what a user whose token names a place may see.

A place is a code of the administrative tree (county 6 digits → street 9 → community 12 →
grid 15, ``configs/district``); its length gives its level. A user with no place is a
county-level user and sees everything (the default). Anyone else sees a thing only when it
lies in their place: a case or alarm by its grid, a camera by the grids its zones look at
(the grid comes from where a zone looks, not where the pole stands). Micro and professional
grids hang under a basic grid by ``parent_code`` and belong where their ancestors do.

Pure: the district's codes and grid parents come in as plain mappings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Level = Literal["county", "street", "community", "grid"]
LEVELS: dict[int, Level] = {6: "county", 9: "street", 12: "community", 15: "grid"}


class AreaError(ValueError):
    """A place that is not a code of the district's tree."""


@dataclass(frozen=True)
class Area:
    """A user's place: its level and code."""

    level: Level
    code: str

    def __str__(self) -> str:
        return f"{self.level} {self.code}"


def parse_area(
    code: str,
    county: str,
    streets: Iterable[str],
    communities: Iterable[str],
    grids: Iterable[str],
) -> Area:
    """The area a code names in this district; ``AreaError`` quotes a code it does not know."""
    level = LEVELS.get(len(code)) if code.isdigit() else None
    if level is None:
        raise AreaError(
            f"place {code!r} must be a county (6 digits), street (9), community (12) "
            "or grid (15) code"
        )
    known = {
        "county": {county},
        "street": set(streets),
        "community": set(communities),
        "grid": set(grids),
    }[level]
    if code not in known:
        raise AreaError(f"unknown {level} {code!r}: not in the district")
    return Area(level, code)


def lineage(grid_code: str, parents: Mapping[str, str | None]) -> list[str]:
    """The grid and its ancestors by ``parent_code``, nearest first (stops at a loop)."""
    out: list[str] = []
    code: str | None = grid_code
    while code and code not in out:
        out.append(code)
        code = parents.get(code)
    return out


def covers(
    area: Area | None, grid_code: str | None, parents: Mapping[str, str | None] | None = None
) -> bool:
    """Whether a user of ``area`` may see a thing in ``grid_code``. No area, or the county:
    everything. A thing with no grid (unplaced) is the county's alone."""
    if area is None or area.level == "county":  # the district has one county
        return True
    if not grid_code:
        return False
    return any(g.startswith(area.code) for g in lineage(grid_code, parents or {}))


def covers_any(
    area: Area | None, grid_codes: Iterable[str | None], parents: Mapping[str, str | None]
) -> bool:
    """A camera is in an area when any of its zones looks at a grid there."""
    return area is None or any(covers(area, g, parents) for g in grid_codes)

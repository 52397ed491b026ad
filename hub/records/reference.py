"""The district's reference rows for the case history: places (county, streets, communities,
grids), departments and people. Pure: built from a loaded ``District``.

Departments are the units that answer for cases: a grid's team (its member and leader), a
community's duty desk, a street's command room, a street's enforcement team, and the
departments of ``departments.yaml`` where the district has one. People are the roster, each
in the unit their role puts them in (phones stay in the configuration).
"""

from __future__ import annotations

from typing import Any

from hub.district import District
from hub.district.schema import Person


def place_rows(d: District) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        _place(d.county.code, "county", d.county.name_zh, None, None, None, None)
    ]
    rows += [
        _place(s.code, "street", s.name_zh, None, d.county.code, None, None)
        for s in d.streets.values()
    ]
    rows += [
        _place(c.code, "community", c.name_zh, None, c.code[:9], c.code[:9], None)
        for c in d.communities.values()
    ]
    rows += [
        _place(
            g.code, "grid", g.name_zh, g.kind, g.parent_code or g.code[:12], g.code[:9], g.code[:12]
        )
        for g in d.grids.values()
    ]
    return rows


def _place(
    code: str,
    level: str,
    name: str,
    kind: str | None,
    parent: str | None,
    street: str | None,
    community: str | None,
) -> dict[str, Any]:
    return {
        "code": code,
        "level": level,
        "name": name,
        "kind": kind,
        "parent_code": parent,
        "street_code": street,
        "community_code": community,
    }


def unit_of(p: Person) -> str:
    """The department a person of the roster works in."""
    if p.role in ("grid_member", "grid_leader"):
        return f"grid:{p.grid_code}"
    if p.role == "community_duty":
        return f"community_duty:{p.community_code}"
    return f"{p.role}:{p.street_code}"


def department_rows(d: District) -> list[dict[str, Any]]:
    streets = {code: s.name_zh for code, s in d.streets.items()}
    names = {
        "grid": lambda code: f"{d.grids[code].name_zh if code in d.grids else code}",
        "community_duty": lambda code: (
            f"{d.communities[code].name_zh if code in d.communities else code}值班"
        ),
        "street_command": lambda code: f"{streets.get(code, code)}指挥室",
        "enforcement": lambda code: f"{streets.get(code, code)}执法队",
    }
    rows: dict[str, dict[str, Any]] = {}
    for p in d.people:
        unit = unit_of(p)
        kind, _, code = unit.partition(":")
        rows[unit] = {
            "department_id": unit,
            "kind": kind,
            "name": names[kind](code),
            "place_code": code,
            "platform": None,
        }
    listed = getattr(d, "departments", None)
    for dep in getattr(listed, "departments", None) or ():
        rows[dep.id] = {
            "department_id": dep.id,
            "kind": "department",
            "name": dep.name_zh,
            "place_code": d.county.code,
            "platform": dep.platform,
        }
    return list(rows.values())


def people_rows(d: District) -> list[dict[str, Any]]:
    return [
        {"person_id": p.person_id, "name": p.name, "role": p.role, "department_id": unit_of(p)}
        for p in d.people
    ]

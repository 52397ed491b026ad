"""Cross-file checks of a parsed district: each returns problems naming file, key and value."""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter

from shapely.geometry import Polygon

from contracts.categories import CategoryList
from contracts.config_problems import ConfigProblem, problem
from hub.district.load import District
from hub.district.schema import DistrictFile, GridProperties

_GRID_CODE = re.compile(r"^[0-9]{15}$")


def check_district(
    d: District,
    dist: DistrictFile,
    polys: list[tuple[GridProperties, Polygon]],
    categories: CategoryList,
) -> list[ConfigProblem]:
    return [
        *_tree(d, dist),
        *_grids(d, polys),
        *_categories(d, categories),
        *_cameras(d),
        *_roster(d),
        *_sla(d),
        *_calendar(d),
        *_escalation(d),
        *_departments(d),
    ]


def _dupes(codes: list[str]) -> list[str]:
    return [code for code, n in Counter(codes).items() if n > 1]


def _tree(d: District, dist: DistrictFile) -> list[ConfigProblem]:
    out = []
    f = "district.yaml"
    for code in _dupes([s.code for s in dist.streets]):
        out.append(problem(f, f"streets[{code}].code", "duplicate street code", code))
    for code in _dupes([c.code for c in dist.communities]):
        out.append(problem(f, f"communities[{code}].code", "duplicate community code", code))
    for s in dist.streets:
        if not s.code.startswith(d.county.code):
            out.append(
                problem(f, f"streets[{s.code}].code", f"not under county {d.county.code}", s.code)
            )
    for c in dist.communities:
        if c.code[:9] not in d.streets:
            out.append(
                problem(
                    f, f"communities[{c.code}].code", "no street with its first 9 digits", c.code
                )
            )
    return out


def _grids(d: District, polys: list[tuple[GridProperties, Polygon]]) -> list[ConfigProblem]:
    out = []
    f = "grids.geojson"
    codes = [p.code for p, _ in polys]
    for code in _dupes(codes):
        out.append(problem(f, f"features[{code}].properties.code", "duplicate grid code", code))
    for p, poly in polys:
        where = f"features[{p.code}].properties.code"
        if not _GRID_CODE.match(p.code):
            out.append(
                problem(
                    f,
                    where,
                    "grid code must be 15 digits (county 6 + street 3 + community 3 + grid 3)",
                    p.code,
                )
            )
            continue
        if p.code[:12] not in d.communities:
            out.append(
                problem(
                    f,
                    where,
                    f"community {p.code[:12]} of this grid is not in district.yaml",
                    p.code,
                )
            )
        if not poly.is_valid:
            out.append(
                problem(
                    f,
                    f"features[{p.code}].geometry",
                    "polygon is not valid (self-intersecting or degenerate)",
                )
            )
        if p.kind == "professional" and p.parent_code is not None:
            parent = d.grids.get(p.parent_code)
            if parent is None or parent.kind != "basic":
                out.append(
                    problem(
                        f,
                        f"features[{p.code}].properties.parent_code",
                        "parent is not a basic grid",
                        p.parent_code,
                    )
                )
            elif not parent.polygon.buffer(1e-9).contains(poly):
                out.append(
                    problem(
                        f,
                        f"features[{p.code}].geometry",
                        f"professional grid is not inside its parent {p.parent_code}",
                    )
                )
    for a, b in d.grid_index.overlaps():
        out.append(problem(f, f"features[{b}].geometry", f"polygon overlaps grid {a}"))
    return out


def _categories(d: District, categories: CategoryList) -> list[ConfigProblem]:
    out = []
    f = "categories.yaml"
    profiles = d.sla.profiles
    for c in categories.categories:
        if c.sla_profile not in profiles:
            out.append(
                problem(
                    f,
                    f"categories[{c.code}].sla_profile",
                    "no such profile in sla.yaml",
                    c.sla_profile,
                )
            )
        if c.detector_classes and c.edge_rule is None:
            out.append(
                problem(
                    f,
                    f"categories[{c.code}].edge_rule",
                    "detector classes are mapped but no edge rule is set",
                )
            )
    departments = {dep.name_zh for dep in d.departments.departments}
    for c in categories.categories:
        if c.department not in departments:
            out.append(
                problem(
                    f,
                    f"categories[{c.code}].department",
                    "no department of that name in departments.yaml",
                    c.department,
                )
            )
    owners = Counter(cls for c in categories.categories for cls in c.detector_classes)
    for cls, n in owners.items():
        if n > 1:
            out.append(
                problem(
                    f,
                    "categories",
                    f"detector class maps to {n} categories; it must map to one",
                    cls,
                )
            )
    return out


def _cameras(d: District) -> list[ConfigProblem]:
    out = []
    f = "cameras.yaml"
    for cam in d.cameras.values():
        for zone in cam.zones:
            base = f"cameras[{cam.camera_id}].zones[{zone.zone_id}]"
            for code in zone.categories:
                if code not in d.categories:
                    out.append(
                        problem(
                            f,
                            f"{base}.categories",
                            "unknown category (not in categories.yaml)",
                            code,
                        )
                    )
            t = zone.target
            if d.grid_index.locate(t.lon, t.lat) is None:
                out.append(
                    problem(
                        f, f"{base}.target", "target point is outside every grid", [t.lon, t.lat]
                    )
                )
    return out


def _roster(d: District) -> list[ConfigProblem]:
    out = []
    f = "roster.yaml"
    for pid in _dupes([p.person_id for p in d.people]):
        out.append(problem(f, f"people[{pid}].person_id", "duplicate person id", pid))
    for p in d.people:
        base = f"people[{p.person_id}]"
        if p.grid_code is not None and p.grid_code not in d.grids:
            out.append(problem(f, f"{base}.grid_code", "unknown grid", p.grid_code))
        if p.community_code is not None and p.community_code not in d.communities:
            out.append(problem(f, f"{base}.community_code", "unknown community", p.community_code))
        if p.street_code is not None and p.street_code not in d.streets:
            out.append(problem(f, f"{base}.street_code", "unknown street", p.street_code))
        for code in p.categories:
            if code not in d.categories:
                out.append(problem(f, f"{base}.categories", "unknown category", code))
    members = {p.grid_code for p in d.people if p.role == "grid_member"}
    for g in d.grids.values():
        if g.code not in members:
            out.append(problem(f, "people", "grid has no grid_member to dispatch to", g.code))
    return out


def _sla(d: District) -> list[ConfigProblem]:
    out = []
    f = "sla.yaml"
    for i, o in enumerate(d.sla.overrides):
        if o.street_code not in d.streets:
            out.append(problem(f, f"overrides[{i}].street_code", "unknown street", o.street_code))
        if o.category not in d.categories:
            out.append(problem(f, f"overrides[{i}].category", "unknown category", o.category))
        if o.profile not in d.sla.profiles:
            out.append(problem(f, f"overrides[{i}].profile", "no such profile", o.profile))
    return out


def _departments(d: District) -> list[ConfigProblem]:
    """Each department's people are enforcement teams of the roster, listed once; its
    per-category SLA names categories it owns."""
    out = []
    f = "departments.yaml"
    roster = {p.person_id: p for p in d.people}
    for dep in d.departments.departments:
        base = f"departments[{dep.id}]"
        for pid in _dupes(list(dep.people)):
            out.append(problem(f, f"{base}.people", "person listed twice", pid))
        for pid in dep.people:
            p = roster.get(pid)
            if p is None:
                out.append(problem(f, f"{base}.people", "unknown person (not in roster.yaml)", pid))
            elif p.role != "enforcement":
                out.append(
                    problem(f, f"{base}.people", f"a {p.role}, not an enforcement team", pid)
                )
        for code in dep.category_sla:
            c = d.categories.get(code)
            if c is None:
                out.append(problem(f, f"{base}.category_sla", "unknown category", code))
            elif c.department != dep.name_zh:
                out.append(
                    problem(
                        f,
                        f"{base}.category_sla",
                        f"category is owned by {c.department}, not this department",
                        code,
                    )
                )
    return out


def _calendar(d: District) -> list[ConfigProblem]:
    try:
        zoneinfo.ZoneInfo(d.calendar.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [problem("calendar.yaml", "timezone", "unknown time zone", d.calendar.timezone)]
    return []


def _escalation(d: District) -> list[ConfigProblem]:
    out = []
    f = "escalation.yaml"
    if "default" not in d.escalation.policies:
        out.append(problem(f, "policies", "a 'default' policy is required"))
    for code, name in d.escalation.by_category.items():
        if code not in d.categories:
            out.append(problem(f, f"by_category.{code}", "unknown category", code))
        if name not in d.escalation.policies:
            out.append(problem(f, f"by_category.{code}", "no such policy", name))
    return out

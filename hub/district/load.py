"""Read a district directory into one checked ``District``, or fail with every problem.

Files: ``district.yaml``, ``grids.geojson``, ``cameras.yaml``, ``categories.yaml``,
``roster.yaml``, ``sla.yaml``, ``calendar.yaml``, ``escalation.yaml``, ``departments.yaml``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from shapely.geometry import Polygon

from contracts.cameras import Camera, CameraList
from contracts.categories import Category, CategoryList
from contracts.config_problems import (
    ConfigError,
    ConfigProblem,
    parse_yaml,
    problem,
    problems_from_validation,
)
from hub.district.schema import (
    CalendarFile,
    Community,
    County,
    DepartmentsFile,
    DistrictFile,
    EscalationFile,
    GridCollection,
    GridProperties,
    Person,
    RosterFile,
    SlaFile,
    Street,
)
from hub.domain.grid_index import Cell, GridIndex

M = TypeVar("M", bound=BaseModel)

FILES: dict[str, type[BaseModel]] = {
    "district.yaml": DistrictFile,
    "grids.geojson": GridCollection,
    "cameras.yaml": CameraList,
    "categories.yaml": CategoryList,
    "roster.yaml": RosterFile,
    "sla.yaml": SlaFile,
    "calendar.yaml": CalendarFile,
    "escalation.yaml": EscalationFile,
    "departments.yaml": DepartmentsFile,
}


@dataclass(frozen=True)
class Grid:
    code: str
    name_zh: str
    kind: str
    parent_code: str | None
    polygon: Polygon
    use: str | None = None

    @property
    def community_code(self) -> str:
        return self.code[:12]

    @property
    def street_code(self) -> str:
        return self.code[:9]


@dataclass(frozen=True)
class District:
    """Everything the hub knows about the place it serves, checked across files."""

    root: Path
    county: County
    streets: dict[str, Street]
    communities: dict[str, Community]
    grids: dict[str, Grid]
    cameras: dict[str, Camera]
    categories: dict[str, Category]
    people: list[Person]
    sla: SlaFile
    calendar: CalendarFile
    escalation: EscalationFile
    departments: DepartmentsFile
    grid_index: GridIndex = field(repr=False)
    raw_geojson: dict[str, Any] = field(repr=False, default_factory=dict)


def _read(root: Path, name: str, problems: list[ConfigProblem]) -> Any:
    path = root / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(problem(name, "", f"file is missing (looked in {root})"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(problem(name, "", f"cannot read: {exc}"))
        return None
    if name.endswith(".geojson"):
        try:
            return json.loads(text)
        except ValueError as exc:
            problems.append(problem(name, "", f"not valid JSON: {exc}"))
            return None
    try:
        return parse_yaml(text, name)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None


def _model(name: str, data: Any, model: type[M], problems: list[ConfigProblem]) -> M | None:
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, name, data))
        return None


def county_code(root: Path) -> str:
    """The county code alone, from ``district.yaml`` (a command that needs only the Redis
    key root need not load the whole district)."""
    problems: list[ConfigProblem] = []
    dist = _model("district.yaml", _read(root, "district.yaml", problems), DistrictFile, problems)
    if dist is None:
        raise ConfigError(problems)
    return dist.county.code


def load_district(root: Path) -> District:
    """Load and check a district; raises ``ConfigError`` listing every problem found."""
    from hub.district.checks import check_district  # cross-file checks, after parsing

    problems: list[ConfigProblem] = []
    parsed: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for name, model in FILES.items():
        raw[name] = _read(root, name, problems)
        parsed[name] = _model(name, raw[name], model, problems)
    if problems or any(v is None for v in parsed.values()):
        raise ConfigError(problems)

    dist: DistrictFile = parsed["district.yaml"]
    grids_file: GridCollection = parsed["grids.geojson"]
    grids: dict[str, Grid] = {}
    polys: list[tuple[GridProperties, Polygon]] = []
    for feat in grids_file.features:
        ring, *holes = feat.geometry.coordinates
        poly = Polygon(ring, holes)
        polys.append((feat.properties, poly))
        p = feat.properties
        grids.setdefault(p.code, Grid(p.code, p.name_zh, p.kind, p.parent_code, poly, p.use))
    district = District(
        root=root,
        county=dist.county,
        streets={s.code: s for s in dist.streets},
        communities={c.code: c for c in dist.communities},
        grids=grids,
        cameras={c.camera_id: c for c in parsed["cameras.yaml"].cameras},
        categories=parsed["categories.yaml"].by_code(),
        people=parsed["roster.yaml"].people,
        sla=parsed["sla.yaml"],
        calendar=parsed["calendar.yaml"],
        escalation=parsed["escalation.yaml"],
        departments=parsed["departments.yaml"],
        grid_index=GridIndex(
            Cell(g.code, g.polygon, g.kind == "professional") for g in grids.values()
        ),
        raw_geojson=raw["grids.geojson"],
    )
    problems = check_district(district, dist, polys, parsed["categories.yaml"])
    if problems:
        raise ConfigError(problems)
    return district

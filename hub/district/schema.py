"""Schemas of the district files in ``configs/district/`` (one model per file)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.messages import CategoryCode, Identifier

CountyCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
StreetCode = Annotated[str, Field(pattern=r"^[0-9]{9}$")]
CommunityCode = Annotated[str, Field(pattern=r"^[0-9]{12}$")]
GridCode = Annotated[str, Field(pattern=r"^[0-9]{15}$")]
ProfileName = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
Name = Annotated[str, Field(min_length=1, max_length=80)]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- district.yaml ---------------------------------------------------------------------------
class County(Strict):
    code: CountyCode
    name_zh: Name
    name_en: Name | None = None


class Street(Strict):
    code: StreetCode
    name_zh: Name
    name_en: Name | None = None


class Community(Strict):
    code: CommunityCode
    name_zh: Name


class DistrictFile(Strict):
    county: County
    streets: Annotated[list[Street], Field(min_length=1)]
    communities: Annotated[list[Community], Field(min_length=1)]


# --- grids.geojson ---------------------------------------------------------------------------
Position = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]


class Polygon(Strict):
    type: Literal["Polygon"]
    coordinates: Annotated[
        list[Annotated[list[Position], Field(min_length=4)]], Field(min_length=1)
    ]


class GridProperties(Strict):
    code: str  # checked by the cross-file checks, so a malformed code is reported by value
    name_zh: Name
    kind: Literal["basic", "professional"] = "basic"
    use: Annotated[str, Field(max_length=40)] | None = None
    parent_code: GridCode | None = None

    @model_validator(mode="after")
    def _parent(self) -> GridProperties:
        if self.kind == "professional" and self.parent_code is None:
            raise ValueError("a professional grid needs parent_code")
        if self.kind == "basic" and self.parent_code is not None:
            raise ValueError("a basic grid has no parent_code (its parent is its community)")
        return self


class GridFeature(Strict):
    type: Literal["Feature"]
    properties: GridProperties
    geometry: Polygon
    id: str | int | None = None


class GridCollection(Strict):
    type: Literal["FeatureCollection"]
    features: Annotated[list[GridFeature], Field(min_length=1)]


# --- roster.yaml -----------------------------------------------------------------------------
Role = Literal["grid_member", "grid_leader", "community_duty", "street_command", "enforcement"]


class Person(Strict):
    person_id: Identifier
    name: Name
    role: Role
    phone: Annotated[str, Field(pattern=r"^\+?[0-9-]{5,20}$")] | None = None
    grid_code: str | None = None
    community_code: str | None = None
    street_code: str | None = None
    categories: list[CategoryCode] = []

    @model_validator(mode="after")
    def _scope(self) -> Person:
        need = {
            "grid_member": "grid_code",
            "grid_leader": "grid_code",
            "community_duty": "community_code",
            "street_command": "street_code",
            "enforcement": "street_code",
        }[self.role]
        if getattr(self, need) is None:
            raise ValueError(f"a {self.role} needs {need}")
        if self.role == "enforcement" and not self.categories:
            raise ValueError("an enforcement team needs the categories it handles")
        return self


class RosterFile(Strict):
    people: list[Person]


# --- sla.yaml --------------------------------------------------------------------------------
Minutes = Annotated[int, Field(ge=1, le=60 * 24 * 90)]


class SlaProfile(Strict):
    clock: Literal["working", "natural"]
    verify_dispatch_min: Minutes
    accept_min: Minutes
    dispose_min: Minutes

    @model_validator(mode="after")
    def _order(self) -> SlaProfile:
        if self.accept_min > self.dispose_min:
            raise ValueError(
                f"accept_min {self.accept_min} is longer than dispose_min {self.dispose_min}"
            )
        return self


class SlaOverride(Strict):
    street_code: StreetCode
    category: CategoryCode
    profile: ProfileName


class SlaFile(Strict):
    profiles: dict[ProfileName, SlaProfile]
    overrides: list[SlaOverride] = []


# --- calendar.yaml ---------------------------------------------------------------------------
_PERIOD = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$")


class CalendarFile(Strict):
    timezone: Annotated[str, Field(min_length=1)]
    work_periods: Annotated[list[str], Field(min_length=1)]
    weekend: list[Annotated[int, Field(ge=1, le=7)]] = [6, 7]
    holidays: list[dt.date] = []
    makeup_workdays: list[dt.date] = []

    @field_validator("work_periods")
    @classmethod
    def _periods(cls, periods: list[str]) -> list[str]:
        last = -1
        for text in periods:
            m = _PERIOD.match(text)
            if not m:
                raise ValueError(f"work period {text!r} is not HH:MM-HH:MM")
            start = int(m[1]) * 60 + int(m[2])
            end = int(m[3]) * 60 + int(m[4])
            if not last < start < end:
                raise ValueError(f"work period {text!r} is empty or overlaps the one before")
            last = end
        return periods

    @model_validator(mode="after")
    def _days(self) -> CalendarFile:
        both = set(self.holidays) & set(self.makeup_workdays)
        if both:
            raise ValueError(f"{sorted(both)[0]} is both a holiday and a make-up working day")
        return self


# --- escalation.yaml -------------------------------------------------------------------------
class EscalationStep(Strict):
    tier: Literal["grid", "upper_grid", "enforcement"]
    notify: Annotated[list[Role], Field(min_length=1)]
    escalate_unless: Literal["accepted", "resolved"] | None = None
    at: Literal["accept", "dispose"] | None = None
    fraction: Annotated[float, Field(gt=0, le=4)] = 1.0

    @model_validator(mode="after")
    def _trigger(self) -> EscalationStep:
        if (self.escalate_unless is None) != (self.at is None):
            raise ValueError("escalate_unless and at go together (both or neither)")
        return self


class EscalationPolicy(Strict):
    steps: Annotated[list[EscalationStep], Field(min_length=1, max_length=8)]

    @model_validator(mode="after")
    def _last(self) -> EscalationPolicy:
        for i, step in enumerate(self.steps[:-1]):
            if step.escalate_unless is None:
                raise ValueError(f"step {i} ({step.tier}) never escalates but is not the last")
        if self.steps[-1].escalate_unless is not None:
            raise ValueError("the last step cannot escalate: there is no step after it")
        return self


class EscalationFile(Strict):
    policies: Annotated[dict[ProfileName, EscalationPolicy], Field(min_length=1)]
    by_category: dict[CategoryCode, ProfileName] = {}


# --- departments.yaml ------------------------------------------------------------------------
UnitId = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,40}$")]


class PlatformEntry(Strict):
    id: UnitId
    name_zh: Name
    name_en: Name | None = None


class DepartmentSla(Strict):
    """A department's own time to accept and to resolve (working or natural minutes, on the
    clock of the category's profile), replacing the category profile's."""

    accept_min: Annotated[int, Field(gt=0, le=100_000)]
    dispose_min: Annotated[int, Field(gt=0, le=100_000)]

    @model_validator(mode="after")
    def _order(self) -> DepartmentSla:
        if self.accept_min > self.dispose_min:
            raise ValueError(
                f"accept_min {self.accept_min} is after dispose_min {self.dispose_min}"
            )
        return self


class DepartmentEntry(Strict):
    id: UnitId
    name_zh: Name
    platform: UnitId
    people: list[Identifier] = []
    """Roster ids of the department's enforcement teams (role ``enforcement``)."""
    sla: DepartmentSla | None = None
    category_sla: dict[CategoryCode, DepartmentSla] = {}
    """Per-category overrides of ``sla`` (categories the department owns)."""


class DepartmentsFile(Strict):
    platforms: Annotated[list[PlatformEntry], Field(min_length=1)]
    departments: Annotated[list[DepartmentEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _links(self) -> DepartmentsFile:
        platforms = [p.id for p in self.platforms]
        for kind, ids in (
            ("platform id", platforms),
            ("department id", [d.id for d in self.departments]),
            ("department name_zh", [d.name_zh for d in self.departments]),
        ):
            dupes = sorted({x for x in ids if ids.count(x) > 1})
            if dupes:
                raise ValueError(f"{kind} {dupes[0]!r} appears twice")
        for d in self.departments:
            if d.platform not in platforms:
                raise ValueError(
                    f"department {d.id!r} is on platform {d.platform!r}, not one of {platforms}"
                )
        return self

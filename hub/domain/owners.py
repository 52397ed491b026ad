"""Who owns a case: category → platform → department, and hand-overs between departments.

Pure and table-tested. The table comes from the district (``categories.yaml`` names a
department per category by its Chinese name, ``departments.yaml`` puts each department on one
of the four platforms); ``OwnerTable`` answers from plain mappings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from hub.domain.escalation import Sla


class OwnerError(ValueError):
    """A category or department the table does not know, or a hand-over that cannot be."""


@dataclass(frozen=True)
class Owner:
    platform: str
    department: str
    """The department's id (as in ``departments.yaml`` and the queue URL)."""


@dataclass(frozen=True)
class OwnerTable:
    category_department: Mapping[str, str]
    """Category code → the owning department's name, as ``categories.yaml`` writes it."""
    departments: Mapping[str, tuple[str, str]]
    """Department id → (name, platform id)."""

    def owner_of(self, category: str) -> Owner:
        """The platform and department that own a new case of ``category``."""
        name = self.category_department.get(category)
        if name is None:
            raise OwnerError(f"unknown category {category!r}")
        for dep_id, (dep_name, platform) in self.departments.items():
            if dep_name == name:
                return Owner(platform, dep_id)
        raise OwnerError(f"category {category!r} names department {name!r}, which is not listed")

    def department(self, dep_id: str) -> Owner:
        if dep_id not in self.departments:
            raise OwnerError(f"unknown department {dep_id!r}; known: {sorted(self.departments)}")
        return Owner(self.departments[dep_id][1], dep_id)


@dataclass(frozen=True)
class HandOver:
    from_department: str
    to_department: str
    to_platform: str
    rework_against: str
    """The department the hand-over counts against: the case's first owner."""


def hand_over(
    table: OwnerTable, current: str, first: str, target: str, reason: str | None
) -> HandOver:
    """Check a hand-over of a case owned by ``current`` (first owned by ``first``) to
    ``target``; a reason is required, and a case cannot be handed to the department that
    already has it."""
    if not (reason or "").strip():
        raise OwnerError("a hand-over between departments needs a reason")
    dest = table.department(target)
    if target == current:
        raise OwnerError(f"the case is already with department {target!r}")
    return HandOver(current, target, dest.platform, first or current)


@dataclass(frozen=True)
class DepartmentSla:
    accept_min: int
    dispose_min: int


@dataclass(frozen=True)
class DepartmentRules:
    """A department's people and SLA, as ``departments.yaml`` gives them."""

    people: tuple[str, ...] = ()
    """Roster ids of its enforcement teams; empty: the roster's teams by category."""
    sla: DepartmentSla | None = None
    category_sla: Mapping[str, DepartmentSla] = field(default_factory=dict)


def department_sla(base: Sla, rules: DepartmentRules, category: str, region_override: bool) -> Sla:
    """The SLA a case of ``category`` runs on while ``rules``' department owns it.

    A (street, category) override in ``sla.yaml`` is the most specific rule and wins; then the
    department's per-category SLA, then the department's own; else the category's profile
    (``base``). The clock (working or natural) and the time to dispatch stay the profile's."""
    if region_override:
        return base
    own = rules.category_sla.get(category) or rules.sla
    if own is None:
        return base
    return replace(base, accept_min=own.accept_min, dispose_min=own.dispose_min)

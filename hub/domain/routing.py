"""Who answers for a case: routing by (grid × category × tier) over the roster, and 1+1+X.

Pure: takes plain person records, returns person ids.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RosterEntry:
    person_id: str
    role: str
    grid_code: str | None = None
    community_code: str | None = None
    street_code: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class JointCommand:
    """ "1+1+X": one commander, one lead unit, X cooperating units."""

    commander: str | None
    lead: str | None
    cooperating: tuple[str, ...]


class Router:
    def __init__(self, people: Iterable[RosterEntry], parents: dict[str, str] | None = None):
        self._people = list(people)
        self._parents = parents or {}

    def _match(
        self, role: str, grid: str, category: str, department: Collection[str] = ()
    ) -> list[str]:
        out = []
        for p in self._people:
            if p.role != role:
                continue
            if role == "enforcement" and department:
                # the owning department's teams in the grid's street, whatever their categories
                ok = p.person_id in department and p.street_code == grid[:9]
            elif role in ("grid_member", "grid_leader"):
                ok = p.grid_code == grid
            elif role == "community_duty":
                ok = p.community_code == grid[:12]
            elif role == "street_command":
                ok = p.street_code == grid[:9]
            else:  # enforcement: the street's team for this category
                ok = p.street_code == grid[:9] and category in p.categories
            if ok:
                out.append(p.person_id)
        return out

    def people_for(
        self, roles: Iterable[str], grid: str, category: str, department: Collection[str] = ()
    ) -> list[str]:
        """Person ids of ``roles`` for the grid; a professional grid with nobody falls back
        to its parent basic grid. ``department``: the owning department's people (roster ids);
        when given, the enforcement tier is that department's teams in the grid's street, and
        the grid and community tiers are as without it (grid first, by the policy's steps)."""
        out: list[str] = []
        for role in roles:
            found = self._match(role, grid, category, department)
            if not found and grid in self._parents:
                found = self._match(role, self._parents[grid], category, department)
            out.extend(f for f in found if f not in out)
        return out

    def joint(self, grid: str, category: str, department: Collection[str] = ()) -> JointCommand:
        """The suggested 1+1+X: the street's commander, a lead unit (the owning department's
        team in the street when ``department`` lists its people and one is there, else the
        street's team for the category) and the grid's member and community duty cooperating."""
        commander = self.people_for(["street_command"], grid, category)
        lead = self.people_for(["enforcement"], grid, category, department) if department else []
        lead = lead or self.people_for(["enforcement"], grid, category)
        coop = self.people_for(["grid_member", "community_duty"], grid, category)
        return JointCommand(
            commander[0] if commander else None, lead[0] if lead else None, tuple(coop)
        )

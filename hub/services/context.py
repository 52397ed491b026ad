"""What the services need from the district, computed once at start.

Every camera zone's target point is placed in its grid cell here through the spatial index,
so the hot path looks a zone up in a dict.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.categories import Category
from hub.district import District
from hub.domain.calendar import WorkingCalendar
from hub.domain.correlation import AlarmRules
from hub.domain.escalation import FrozenPolicy, Sla, Step
from hub.domain.owners import DepartmentRules, DepartmentSla, OwnerTable, department_sla
from hub.domain.routing import RosterEntry, Router
from hub.settings import HubSettings


@dataclass(frozen=True)
class ZonePlace:
    box_id: str
    lon: float
    lat: float
    grid_code: str | None


class HubContext:
    def __init__(self, settings: HubSettings, district: District) -> None:
        self.settings = settings
        self.district = district
        self.county = district.county.code
        cal = district.calendar
        self.calendar = WorkingCalendar.from_strings(
            cal.timezone, cal.work_periods, cal.weekend, cal.holidays, cal.makeup_workdays
        )
        self.router = Router(
            (
                RosterEntry(
                    p.person_id,
                    p.role,
                    p.grid_code,
                    p.community_code,
                    p.street_code,
                    tuple(p.categories),
                )
                for p in district.people
            ),
            {g.code: g.parent_code for g in district.grids.values() if g.parent_code},
        )
        c = settings.correlation
        self.rules = AlarmRules(
            clear_after_ms=int(c.clear_after_min * 60_000),
            rearm_ms=int(c.rearm_min * 60_000),
            recurrence_ms=int(c.recurrence_days * 86_400_000),
            merge_radius_m=c.merge_radius_m,
        )
        self.zones: dict[tuple[str, str], ZonePlace] = {}
        for cam in district.cameras.values():
            for z in cam.zones:
                grid = district.grid_index.locate(z.target.lon, z.target.lat)
                self.zones[(cam.camera_id, z.zone_id)] = ZonePlace(
                    cam.box_id, z.target.lon, z.target.lat, grid
                )
        self.tiers = self._tiers()
        deps = district.departments
        self.owners = OwnerTable(
            {c.code: c.department for c in district.categories.values()},
            {d.id: (d.name_zh, d.platform) for d in deps.departments},
        )
        self.department_rules = {
            d.id: DepartmentRules(
                tuple(d.people),
                DepartmentSla(d.sla.accept_min, d.sla.dispose_min) if d.sla else None,
                {
                    code: DepartmentSla(o.accept_min, o.dispose_min)
                    for code, o in d.category_sla.items()
                },
            )
            for d in deps.departments
        }

    def department_people(self, department: str | None) -> tuple[str, ...]:
        """The roster ids a department lists (empty: unknown, or it lists none)."""
        rules = self.department_rules.get(department or "")
        return rules.people if rules else ()

    def _tiers(self) -> list[str]:
        policy = self.district.escalation.policies.get("default") or next(
            iter(self.district.escalation.policies.values())
        )
        return [s.tier for s in policy.steps]

    def category(self, code: str) -> Category | None:
        return self.district.categories.get(code)

    def policy_for(self, grid: str, category: str, department: str | None = None) -> FrozenPolicy:
        """The escalation policy and SLA a new case freezes onto itself: the category's
        profile, or its owning department's SLA (``department``, else the category's owner;
        ``hub.domain.owners.department_sla``)."""
        esc = self.district.escalation
        name = esc.by_category.get(category, "default")
        policy = esc.policies[name]
        profile = self.district.categories[category].sla_profile
        region = False
        for o in self.district.sla.overrides:
            if o.street_code == grid[:9] and o.category == category:
                profile, region = o.profile, True
        p = self.district.sla.profiles[profile]
        steps = tuple(
            Step(s.tier, tuple(s.notify), s.escalate_unless, s.at, s.fraction) for s in policy.steps
        )
        dep = department or self.owners.owner_of(category).department
        rules = self.department_rules.get(dep, DepartmentRules())
        base = Sla(p.clock, p.verify_dispatch_min, p.accept_min, p.dispose_min)
        sla = department_sla(base, rules, category, region)
        label = f"{name}/{profile}" if sla == base else f"{name}/{profile}@{dep}"
        return FrozenPolicy(label, steps, sla)

    def problems(self) -> list[str]:
        """Cross-checks of hub settings against the district, reported at start."""
        out = []
        for code in self.settings.correlation.joint_categories:
            if code not in self.district.categories:
                out.append(f"correlation.joint_categories: {code!r} is not in categories.yaml")
        for code in self.settings.records.retention_days_by_category:
            if code not in self.district.categories:
                out.append(
                    f"records.retention_days_by_category: {code!r} is not in categories.yaml"
                )
        for (cam, zone), place in self.zones.items():
            if place.grid_code is None:
                out.append(
                    f"cameras.yaml: {cam}/{zone}: target ({place.lon}, {place.lat}) is in no grid"
                )
        return out

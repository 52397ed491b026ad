"""Who is put on a case by hand, and how urgent an operator made it.

The operator's reassignment picks people from the roster (the routing candidates for the
case's grid and category first, or anyone); "1+1+X" names one commander, one lead unit and
X cooperating units. Every id is checked against the roster, and an unknown one is named in
the error. Raising a routine category to urgent moves the case onto the SLA profile of the
district's urgent categories.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hub.domain.escalation import FrozenPolicy, Sla
from hub.services.context import HubContext

ROUTED_ROLES = ("grid_member", "grid_leader", "community_duty", "street_command", "enforcement")


class BadActionData(ValueError):
    """An action's data names someone or something the district does not know."""


def person(ctx: HubContext, person_id: object) -> dict[str, Any]:
    """A roster entry by id; ``BadActionData`` naming the id if there is none."""
    for p in ctx.district.people:
        if p.person_id == person_id:
            return {"person_id": p.person_id, "name": p.name, "role": p.role}
    raise BadActionData(f"person {person_id!r} is not in the roster")


def candidates(
    ctx: HubContext, grid: str, category: str, department: str | None = None
) -> dict[str, Any]:
    """The routing candidates for a grid and category (grid up to enforcement, in order;
    the owning department's teams at enforcement), the suggested 1+1+X, and the roster."""
    dept = ctx.department_people(department)
    routed = ctx.router.people_for(ROUTED_ROLES, grid, category, dept)
    j = ctx.router.joint(grid, category, dept)
    return {
        "routed": [person(ctx, p) for p in routed],
        "joint": {"commander": j.commander, "lead": j.lead, "cooperating": list(j.cooperating)},
        "roster": [
            {"person_id": p.person_id, "name": p.name, "role": p.role} for p in ctx.district.people
        ],
    }


def people_data(
    ctx: HubContext,
    action: str,
    payload: dict[str, Any],
    grid: str,
    category: str,
    department: str | None = None,
) -> dict[str, Any]:
    """The checked event data of a ``reassign`` or ``joint`` action (what a joint command
    does not name comes from the suggestion for the case's owning ``department``)."""
    if action == "reassign":
        people = payload.get("assignees") or []
        if not isinstance(people, list) or not people:
            raise BadActionData("reassign needs assignees: a list of roster person ids")
        for p in people:
            person(ctx, p)
        return {"assignees": [str(p) for p in people]}
    j = ctx.router.joint(grid, category, ctx.department_people(department))
    commander = payload.get("commander") or j.commander
    lead = payload.get("lead") or j.lead
    coop = payload.get("cooperating")
    coop = list(j.cooperating) if coop is None else list(coop)
    if commander is None or lead is None:
        missing = "commander" if commander is None else "lead"
        raise BadActionData(f"1+1+X needs a {missing}; grid {grid} has no one to suggest")
    for p in (commander, lead, *coop):
        person(ctx, p)
    return {"commander": commander, "lead": lead, "cooperating": [str(p) for p in coop]}


def policy_with_urgency(
    ctx: HubContext, policy: FrozenPolicy, category: str, urgency: str
) -> FrozenPolicy:
    """An operator who raises a routine category to urgent puts the case on the SLA profile
    of the district's urgent categories; lowering an urgent category keeps its own profile
    (an operator cannot slow down a hazard)."""
    if urgency != "urgent" or ctx.district.categories[category].urgency == "urgent":
        return policy
    urgent = sorted(
        {c.sla_profile for c in ctx.district.categories.values() if c.urgency == "urgent"}
    )
    if not urgent:
        raise BadActionData("no urgent category in categories.yaml to take an SLA profile from")
    p = ctx.district.sla.profiles[urgent[0]]
    sla = Sla(p.clock, p.verify_dispatch_min, p.accept_min, p.dispose_min)
    return replace(policy, name=f"{policy.name.split('/')[0]}/{urgent[0]}", sla=sla)

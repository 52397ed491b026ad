"""Departments own their people and SLA: table tests of the pure rules, the district's checks,
and one case through the real Redis that lands on its department's people with its SLA and,
handed over, on the other department's people with the new SLA from the hand-over."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from contracts.config_problems import ConfigError
from hub.district import load_district
from hub.domain.calendar import add_minutes
from hub.domain.case_state import CaseEvent, CaseView, fold, next_event
from hub.domain.escalation import Sla
from hub.domain.owners import DepartmentRules, DepartmentSla, department_sla
from hub.domain.routing import RosterEntry, Router
from tests.hub.conftest import OP, Hub
from tests.intake.conftest import PILE

REPO = Path(__file__).resolve().parents[2]
BASE = Sla("working", 45, 60, 480)
RULES = DepartmentRules(("t-1",), DepartmentSla(30, 240), {"08004": DepartmentSla(20, 90)})


@pytest.mark.parametrize(
    ("rules", "category", "region", "expected"),
    [
        (DepartmentRules(), "06010", False, BASE),  # no SLA of its own: the profile's
        (RULES, "06010", False, Sla("working", 45, 30, 240)),  # the department's own
        (RULES, "08004", False, Sla("working", 45, 20, 90)),  # its per-category override
        (RULES, "08004", True, BASE),  # a (street, category) override in sla.yaml wins
        (
            DepartmentRules(sla=DepartmentSla(15, 60)),
            "06901",
            False,
            Sla("working", 45, 15, 60),
        ),
    ],
)
def test_department_sla(rules: DepartmentRules, category: str, region: bool, expected: Sla) -> None:
    assert department_sla(BASE, rules, category, region) == expected


ROSTER = Router(
    [
        RosterEntry("m-1", "grid_member", grid_code="339901001001001"),
        RosterEntry("cmd-1", "street_command", street_code="339901001"),
        RosterEntry("law-1", "enforcement", street_code="339901001", categories=("06010",)),
        RosterEntry("build-1", "enforcement", street_code="339901001", categories=("06010",)),
        RosterEntry("build-2", "enforcement", street_code="339901002", categories=("08004",)),
    ]
)
GRID = "339901001001001"


@pytest.mark.parametrize(
    ("roles", "department", "expected"),
    [
        # grid tier first, as the policy says, whoever owns the case
        (["grid_member"], ("build-1", "build-2"), ["m-1"]),
        # no department people: the roster's teams by category (both list 06010)
        (["enforcement", "street_command"], (), ["law-1", "build-1", "cmd-1"]),
        # the department's teams in the grid's street, whatever categories they list
        (["enforcement", "street_command"], ("build-1", "build-2"), ["build-1", "cmd-1"]),
        (["enforcement"], ("build-2",), []),  # none in this street
    ],
)
def test_department_people(
    roles: list[str], department: tuple[str, ...], expected: list[str]
) -> None:
    assert ROSTER.people_for(roles, GRID, "06010", department) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("p-339901002-law,", "p-339901009-law,", "p-339901009-law.: unknown person"),
        ("p-339901002-law,", "p-339901001001001-m,", "a grid_member, not an enforcement team"),
        ("p-339901002-law,", "p-339901001-law,", "person listed twice"),
        ("{accept_min: 120, dispose_min: 960}", "{accept_min: 0, dispose_min: 960}", "greater"),
        ("{accept_min: 120, dispose_min: 960}", "{accept_min: 120, dispose_min: 60}", "after"),
        ('"08004": {accept_min: 30', '"06010": {accept_min: 30', "owned by 综合行政执法局"),
    ],
)
def test_broken_department_people_or_sla(tmp_path: Path, old: str, new: str, expected: str) -> None:
    root = tmp_path / "district"
    shutil.copytree(REPO / "configs" / "district", root)
    path = root / "departments.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=expected):
        load_district(root)


async def test_case_on_its_departments_people_then_handed_over(hub: Hub) -> None:
    # construction materials (08006, 住建) at the pile in 城关街道's grid 339901001001007
    form = {
        "request_id": "op-dept-0001",
        "category": "08006",
        "lon": str(PILE[0]),
        "lat": str(PILE[1]),
        "via": "call",
    }
    r = await hub.http.post("/api/intake/operator", headers=OP, data=form)
    assert r.status_code == 200, r.text
    no = r.json()["case_no"]
    cal, t0 = hub.rt.ctx.calendar, hub.clock.now_ms()
    view = await hub.rt.store.view(no)
    assert view.assignees == ("p-339901001001007-m", "p-339901001001007-l")  # grid first
    assert view.facts["dispose_due_ms"] == add_minutes(cal, "working", t0, 480)
    for _ in range(2):  # up to the enforcement tier: housing's team in this street
        view = await hub.rt.cases.act(no, "escalate", "operator:test")
    assert view.assignees == ("p-339901001-build", "p-339901001-cmd")
    hub.clock.advance(minutes=30)
    t1 = hub.clock.now_ms()
    h = await hub.http.post(
        f"/api/cases/{no}/hand-over",
        headers=OP,
        json={"department": "enforcement-bureau", "reason": "debris, not building materials"},
    )
    assert h.status_code == 200, h.text
    view = await hub.rt.store.view(no)
    assert view.assignees == ("p-339901001-law", "p-339901001-cmd")
    assert view.facts["accept_due_ms"] == add_minutes(cal, "working", t1, 60)
    assert view.facts["dispose_due_ms"] == add_minutes(cal, "working", t1, 240)
    q = (await hub.http.get("/api/departments/enforcement-bureau/queue", headers=OP)).json()
    assert [(c["case_no"], c["assignees"], c["dispose_due_ms"]) for c in q] == [
        (no, ["p-339901001-law", "p-339901001-cmd"], add_minutes(cal, "working", t1, 240))
    ]
    deps = (await hub.http.get("/api/departments", headers=OP)).json()["departments"]
    assert {d["id"]: d["rework_handovers"] for d in deps}["housing-construction"] == 1


def test_fold_of_a_hand_over_with_the_new_departments_people_and_deadlines() -> None:
    events: list[CaseEvent] = []
    view = CaseView()
    for action, at, data in (
        ("report", 0, {"case_no": "n1", "department": "a", "policy": {"name": "old"}}),
        ("file", 0, {}),
        ("dispatch", 0, {"assignees": ["m-1"], "tier": 0, "dispose_due_ms": 100}),
        (
            "hand_over",
            50,
            {"to_department": "b", "to_platform": "p", "policy": {"name": "b"}}
            | {"assignees": ["b-1"], "accept_due_ms": 60, "dispose_due_ms": 250},
        ),
    ):
        events.append(next_event(view, action, actor="t", at_ms=at, data=data))
        view = fold(events)
    assert view.assignees == ("b-1",) and view.handovers == 1
    assert {
        k: view.facts[k] for k in ("department", "policy", "dispose_due_ms", "sla_from_ms")
    } == {
        "department": "b",
        "policy": {"name": "b"},
        "dispose_due_ms": 250,
        "sla_from_ms": 50,
    }

"""Table tests: alarm steps, routing to cases, distances, rate limiting, grid lookup."""

from __future__ import annotations

import pytest

from hub.domain.correlation import AlarmRules, AlarmSnapshot, alarm_step, distance_m, route
from hub.domain.rate_limit import TokenBuckets
from hub.domain.routing import RosterEntry, Router

RULES = AlarmRules(
    clear_after_ms=600_000, rearm_ms=300_000, recurrence_ms=7 * 86_400_000, merge_radius_m=60
)
ACTIVE = AlarmSnapshot("active", "ev-00000001", 3)
ENDING = AlarmSnapshot("ending", "ev-00000001", 4)
CLEARED = AlarmSnapshot("cleared", "ev-00000001", 5, cleared_ms=1_000_000)


@pytest.mark.parametrize(
    ("prev", "kind", "event_id", "seq", "at_ms", "outcome"),
    [
        (None, "new", "ev-00000001", 0, 0, "new"),
        (None, "update", "ev-00000001", 2, 0, "new"),  # first we hear of it
        (None, "end", "ev-00000001", 2, 0, "stray_end"),
        (ACTIVE, "update", "ev-00000001", 4, 0, "update"),
        (ACTIVE, "update", "ev-00000001", 3, 0, "duplicate"),  # redelivered
        (ACTIVE, "new", "ev-00000002", 0, 0, "update"),  # re-trigger of the same key
        (ACTIVE, "end", "ev-00000001", 4, 0, "ending"),
        (ENDING, "update", "ev-00000001", 5, 0, "update"),  # came back before clearing
        (CLEARED, "new", "ev-00000003", 0, 1_200_000, "suppressed"),  # within re-arm
        (CLEARED, "new", "ev-00000003", 0, 1_300_000, "new"),  # re-arm delay passed
        (CLEARED, "end", "ev-00000003", 1, 1_300_000, "stray_end"),
    ],
)
def test_alarm_step(
    prev: AlarmSnapshot | None, kind: str, event_id: str, seq: int, at_ms: int, outcome: str
) -> None:
    assert alarm_step(prev, kind, event_id, seq, at_ms, RULES) == outcome


@pytest.mark.parametrize(
    ("confidence", "threshold", "expected"),
    [(0.9, 0.85, "auto"), (0.85, 0.85, "auto"), (0.84, 0.85, "verify"), (0.0, 0.0, "auto")],
)
def test_route(confidence: float, threshold: float, expected: str) -> None:
    assert route(confidence, threshold) == expected


def test_distance() -> None:
    assert distance_m(120.0, 30.0, 120.0, 30.0) == 0
    assert distance_m(120.0, 30.0, 120.0, 30.001) == pytest.approx(111.2, abs=0.5)


def test_token_buckets() -> None:
    tb = TokenBuckets(rate_per_s=10, burst=2)
    assert [tb.allow("a", 0) for _ in range(3)] == [True, True, False]
    assert tb.allow("b", 0) is True  # per box
    assert tb.allow("a", 100) is True  # one token back after 100 ms
    with pytest.raises(ValueError, match="got 0, 2"):
        TokenBuckets(0, 2)


def test_router_grid_upper_enforcement_and_joint() -> None:
    people = [
        RosterEntry("m1", "grid_member", grid_code="339901001001001"),
        RosterEntry("l1", "grid_leader", grid_code="339901001001001"),
        RosterEntry("c1", "community_duty", community_code="339901001001"),
        RosterEntry("s1", "street_command", street_code="339901001"),
        RosterEntry("e1", "enforcement", street_code="339901001", categories=("06010",)),
        RosterEntry("e2", "enforcement", street_code="339901001", categories=("08004",)),
    ]
    r = Router(people, parents={"339901001001101": "339901001001001"})
    g = "339901001001001"
    assert r.people_for(["grid_member", "grid_leader"], g, "06010") == ["m1", "l1"]
    assert r.people_for(["community_duty", "street_command"], g, "06010") == ["c1", "s1"]
    assert r.people_for(["enforcement"], g, "08004") == ["e2"]
    assert r.people_for(["grid_member"], "339901001001101", "06010") == ["m1"]  # parent
    j = r.joint(g, "06010")
    assert (j.commander, j.lead, j.cooperating) == ("s1", "e1", ("m1", "c1"))
    # a case owned by a department (handed over, or routed by its category): its team leads
    j = r.joint(g, "06010", department=("e2",))
    assert (j.commander, j.lead, j.cooperating) == ("s1", "e2", ("m1", "c1"))
    # a department with no team in the street: the street's team for the category
    assert r.joint(g, "06010", department=("x9",)).lead == "e1"

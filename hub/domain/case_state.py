"""Case states and transitions; the current state is derived from an append-only event log.

Every change to a case is one ``CaseEvent`` (actor, action, from, to, reason, note, time).
``TRANSITIONS`` says which action is allowed from which states and where it leads;
``fold`` replays a log into a ``CaseView``. Escalation is an event that raises the tier
and keeps the state (the case still waits for the same next step, one level up); so do
reassignment (new assignees) and the 1+1+X joint command (commander, lead unit, X
cooperating units, kept in ``facts["joint"]``). Every source that reported the problem is
kept (``sources``: the first report's, then each attached alarm's or report's), and a
hand-over between departments moves ``facts["department"]`` and, when it carries them, puts
the new department's people, policy and deadlines on the case (``facts["sla_from_ms"]``: the
clock restarted at the hand-over, until the next dispatch).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

OPEN_STATES = frozenset(
    {
        "reported",
        "verifying",
        "filed",
        "dispatched",
        "accepted",
        "in_progress",
        "resolved",
        "returned",
        "rework",
        "postpone_requested",
        "suspended",
        "reopened",
    }
)
TERMINAL_STATES = frozenset({"verified", "closed", "evaluated", "rejected", "merged"})
STATES = OPEN_STATES | TERMINAL_STATES

_WORKING = ("dispatched", "accepted", "in_progress", "rework", "postpone_requested", "returned")

TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    # action: (allowed from-states, to-state; None keeps the state)
    "report": (frozenset({""}), "reported"),
    "queue_for_verification": (frozenset({"reported"}), "verifying"),
    "file": (frozenset({"reported", "verifying"}), "filed"),
    "reject": (frozenset({"reported", "verifying"}), "rejected"),
    "merge": (frozenset({"reported", "verifying", "filed"}), "merged"),
    "dispatch": (frozenset({"filed", "returned", "reopened"}), "dispatched"),
    "accept": (frozenset({"dispatched"}), "accepted"),
    "start": (frozenset({"accepted"}), "in_progress"),
    "return": (frozenset({"dispatched", "accepted"}), "returned"),
    "request_postpone": (frozenset({"accepted", "in_progress"}), "postpone_requested"),
    "decide_postpone": (frozenset({"postpone_requested"}), "in_progress"),
    "suspend": (frozenset({"dispatched", "accepted", "in_progress"}), "suspended"),
    "resume": (frozenset({"suspended"}), "dispatched"),
    "resolve": (frozenset({"accepted", "in_progress", "rework"}), "resolved"),
    "verify": (frozenset({"resolved"}), "verified"),
    "rework": (frozenset({"resolved"}), "rework"),
    "close": (frozenset({"verified"}), "closed"),
    "evaluate": (frozenset({"closed"}), "evaluated"),
    "reopen": (frozenset({"verified", "closed", "evaluated"}), "reopened"),
    "escalate": (frozenset(_WORKING), None),
    # a new assignee (same state, same deadlines) and the 1+1+X joint command, both kept
    # on the log so the timeline says who was put on the case and by whom
    "reassign": (frozenset(_WORKING), None),
    "joint": (frozenset({"filed", *_WORKING, "suspended", "reopened"}), None),
    # a unit named in the 1+1+X command acknowledges it (hub.domain.turnout)
    "joint_ack": (frozenset({"filed", *_WORKING, "suspended", "reopened", "resolved"}), None),
    "attach_alarm": (frozenset(STATES), None),
    # another source's report of the same problem (a patrol, a citizen, a hotline record)
    "attach_report": (frozenset(STATES), None),
    # the owning department hands the case to another one, with a reason (hub.domain.owners)
    "hand_over": (frozenset({"reported", "verifying", "filed", *_WORKING, "suspended"}), None),
    "note": (frozenset(STATES), None),
}


class TransitionError(ValueError):
    """An action not allowed from the case's current state."""


@dataclass(frozen=True)
class CaseEvent:
    seq: int
    at_ms: int
    actor: str
    action: str
    from_state: str
    to_state: str
    reason: str | None = None
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at_ms": self.at_ms,
            "actor": self.actor,
            "action": self.action,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "reason": self.reason,
            "note": self.note,
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaseEvent:
        return cls(
            int(d["seq"]),
            int(d["at_ms"]),
            str(d["actor"]),
            str(d["action"]),
            str(d["from_state"]),
            str(d["to_state"]),
            d.get("reason"),
            d.get("note"),
            dict(d.get("data") or {}),
        )


@dataclass(frozen=True)
class CaseView:
    """What the log says about a case now."""

    case_no: str = ""
    state: str = ""
    tier: int = 0
    reported_ms: int | None = None
    dispatched_ms: int | None = None
    accepted_ms: int | None = None
    resolved_ms: int | None = None
    closed_ms: int | None = None
    closing_tier: int | None = None
    assignees: tuple[str, ...] = ()
    rework_count: int = 0
    reopen_count: int = 0
    escalations: tuple[int, ...] = ()
    alarms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    """Where reports of it came from (video_ai, grid_member, public, hotline, ...), each once."""
    handovers: int = 0
    events: int = 0
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone on the case: the assignees, then the 1+1+X command (commander, lead
        unit, cooperating units) not already among them. They may all see the case; the
        assignees alone act on it as responders."""
        j = self.facts.get("joint") or {}
        named = [*self.assignees, j.get("commander"), j.get("lead"), *(j.get("cooperating") or ())]
        return tuple(dict.fromkeys(str(p) for p in named if p))


def next_event(
    view: CaseView,
    action: str,
    *,
    actor: str,
    at_ms: int,
    reason: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """The event that ``action`` appends, or ``TransitionError`` naming state and action."""
    if action not in TRANSITIONS:
        raise TransitionError(f"unknown case action {action!r}")
    allowed, to = TRANSITIONS[action]
    if view.state not in allowed:
        raise TransitionError(
            f"cannot {action!r} a case in state {view.state or '(new)'!r}; "
            f"allowed from {sorted(s or '(new)' for s in allowed)}"
        )
    return CaseEvent(
        view.events + 1,
        at_ms,
        actor,
        action,
        view.state,
        to if to is not None else view.state,
        reason,
        note,
        data or {},
    )


def apply(view: CaseView, ev: CaseEvent) -> CaseView:
    """Fold one event into the view (events are trusted: they passed ``next_event``)."""
    d = ev.data
    v = replace(view, state=ev.to_state, events=ev.seq)
    if ev.action == "report":
        v = replace(v, case_no=str(d.get("case_no", "")), reported_ms=ev.at_ms, facts=dict(d))
    elif ev.action == "dispatch":
        v = replace(
            v,
            dispatched_ms=ev.at_ms,
            assignees=tuple(d.get("assignees", ())),
            facts={
                **{k: x for k, x in v.facts.items() if k != "sla_from_ms"},
                **{k: d[k] for k in d if k.endswith("_due_ms") or k == "joint"},
            },
        )
        if "tier" in d:
            v = replace(v, tier=int(d["tier"]))
        if d.get("joint"):  # a joint command given with the dispatch: its turnout starts
            v = replace(v, facts={**v.facts, "joint_ms": ev.at_ms, "joint_acks": {}})
    elif ev.action == "accept":
        v = replace(v, accepted_ms=ev.at_ms)
    elif ev.action == "resolve":
        v = replace(v, resolved_ms=ev.at_ms)
    elif ev.action == "rework":
        v = replace(v, rework_count=v.rework_count + 1, resolved_ms=None)
    elif ev.action == "close":
        v = replace(v, closed_ms=ev.at_ms, closing_tier=v.tier)
    elif ev.action == "escalate":
        tier = int(d["tier"])
        v = replace(
            v,
            tier=tier,
            escalations=(*v.escalations, tier),
            assignees=tuple(d.get("assignees", v.assignees)),
        )
    elif ev.action == "reassign":
        v = replace(v, assignees=tuple(d.get("assignees", v.assignees)))
    elif ev.action == "joint":
        joint = {k: d.get(k) for k in ("commander", "lead", "cooperating")}
        v = replace(v, facts={**v.facts, "joint": joint, "joint_ms": ev.at_ms, "joint_acks": {}})
    elif ev.action == "joint_ack":  # a named unit acknowledged the command (the first one counts)
        acks = dict(v.facts.get("joint_acks") or {})
        acks.setdefault(str(d.get("person")), ev.at_ms)
        v = replace(v, facts={**v.facts, "joint_acks": acks})
    elif ev.action == "reopen":
        v = replace(
            v,
            tier=0,
            reopen_count=v.reopen_count + 1,
            accepted_ms=None,
            resolved_ms=None,
            closed_ms=None,
            closing_tier=None,
            escalations=(),
        )
    elif ev.action == "attach_alarm":
        key = str(d.get("alarm_key", ""))
        if key and key not in v.alarms:
            v = replace(v, alarms=(*v.alarms, key))
        v = _with_source(v, "video_ai")
    elif ev.action == "attach_report":
        v = _with_source(v, str(d.get("source") or "other"))
    elif ev.action == "hand_over":
        facts = {**v.facts, "department": d.get("to_department"), "platform": d.get("to_platform")}
        # the new department's SLA and people, its clock started at the hand-over
        facts |= {k: d[k] for k in d if k.endswith("_due_ms") or k == "policy"}
        if any(k.endswith("_due_ms") for k in d):
            facts["sla_from_ms"] = ev.at_ms
        v = replace(
            v,
            facts=facts,
            handovers=v.handovers + 1,
            assignees=tuple(d.get("assignees", v.assignees)),
        )
    if ev.action == "report":
        if d.get("alarm_key"):
            v = replace(v, alarms=(str(d["alarm_key"]),))
        v = replace(v, sources=(str(d.get("source") or "video_ai"),))
    return v


def _with_source(v: CaseView, source: str) -> CaseView:
    return v if source in v.sources else replace(v, sources=(*v.sources, source))


def fold(events: Iterable[CaseEvent]) -> CaseView:
    view = CaseView()
    for ev in events:
        view = apply(view, ev)
    return view

"""When a change to a case becomes a push to a responder's phone, and when it stays quiet.

Pure code: no I/O, time comes in as ``now_ms``. The fan-out (``hub/push``) offers every
notice here and sends only what the policy says to send.

Rules, per (person, case):

- ``dispatch`` and ``escalation`` are why a person is woken: they go out at once. The same
  kind for the same case again inside ``coalesce_s`` is a duplicate (a replayed event) and
  stays quiet.
- ``update`` goes out at once when nothing went to that person about that case inside
  ``coalesce_s``; otherwise it is held, and every update held in the window folds into one
  push that ``due`` releases when the window ends (with the count of updates it carries).
- ``retrigger`` (the alarm behind an open case fired again) stays quiet while the person
  heard about the case inside ``quiet_s``; after that one ``reminder`` goes out.
- A person never gets more than ``max_per_minute`` pushes; what is over the cap is held and
  released by ``due`` as the minute frees up (nothing is dropped, storms are flattened).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from hub.domain.case_state import CaseView

NoticeKind = Literal["dispatch", "escalation", "update", "retrigger"]
URGENT: frozenset[str] = frozenset({"dispatch", "escalation"})


class Verdict(StrEnum):
    SEND = "send"
    HOLD = "hold"
    QUIET = "quiet"


@dataclass(frozen=True)
class PushPolicyConfig:
    coalesce_s: float = 20.0
    quiet_s: float = 600.0
    max_per_minute: int = 6

    def __post_init__(self) -> None:
        if not 0 <= self.coalesce_s <= 3600:
            raise ValueError(f"coalesce_s must be 0..3600, got {self.coalesce_s}")
        if not 0 <= self.quiet_s <= 86_400:
            raise ValueError(f"quiet_s must be 0..86400, got {self.quiet_s}")
        if not 1 <= self.max_per_minute <= 600:
            raise ValueError(f"max_per_minute must be 1..600, got {self.max_per_minute}")


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    kind: str  # the kind the push goes out as ("reminder" for a retrigger let through)
    reason: str
    due_ms: int | None = None  # for HOLD: when ``due`` will release it


@dataclass(frozen=True)
class Release:
    """A held push that is now due: send the case's latest content as ``kind``."""

    person_id: str
    case_no: str
    kind: str
    updates: int


@dataclass
class Track:
    """What the policy remembers of one (person, case): plain data, so the fan-out can keep
    it in Redis and every hub process decides against the same memory."""

    last_sent_ms: int | None = None
    last_kind: str | None = None
    held_kind: str | None = None
    held_updates: int = 0
    held_due_ms: int | None = None


@dataclass
class PushPolicy:
    config: PushPolicyConfig = field(default_factory=PushPolicyConfig)
    _tracks: dict[tuple[str, str], Track] = field(default_factory=dict)
    _sent: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def restore(
        cls,
        config: PushPolicyConfig,
        tracks: dict[tuple[str, str], Track],
        sent: dict[str, list[int]],
    ) -> PushPolicy:
        """A policy that goes on from remembered state (``track`` and ``sent_ms`` read it)."""
        return cls(config, dict(tracks), {p: list(v) for p, v in sent.items()})

    def track(self, person_id: str, case_no: str) -> Track | None:
        return self._tracks.get((person_id, case_no))

    def sent_ms(self, person_id: str) -> list[int]:
        """When pushes went to the person within the last minute (the per-minute cap)."""
        return list(self._sent.get(person_id, []))

    def offer(self, person_id: str, case_no: str, kind: NoticeKind, now_ms: int) -> Decision:
        """Decide one notice; SEND means the caller sends it now (the policy records it)."""
        cfg = self.config
        t = self._tracks.setdefault((person_id, case_no), Track())
        since = None if t.last_sent_ms is None else now_ms - t.last_sent_ms
        window = int(cfg.coalesce_s * 1000)
        if kind in URGENT:
            if since is not None and since < window and t.last_kind == kind:
                return Decision(Verdict.QUIET, kind, f"duplicate {kind} inside {cfg.coalesce_s}s")
            return self._send_or_cap(t, person_id, kind, now_ms, updates=1)
        if kind == "update":
            if t.held_kind is not None:
                t.held_updates += 1
                return Decision(Verdict.HOLD, t.held_kind, "folded into a held push", t.held_due_ms)
            if since is None or since >= window:
                return self._send_or_cap(t, person_id, "update", now_ms, updates=1)
            assert t.last_sent_ms is not None
            return self._hold(t, "update", t.last_sent_ms + window, "coalesced with a recent push")
        if kind == "retrigger":
            if since is not None and since < int(cfg.quiet_s * 1000):
                return Decision(Verdict.QUIET, "reminder", f"heard inside {cfg.quiet_s}s")
            if t.held_kind is not None:
                t.held_updates += 1
                return Decision(Verdict.HOLD, t.held_kind, "folded into a held push", t.held_due_ms)
            return self._send_or_cap(t, person_id, "reminder", now_ms, updates=1)
        raise ValueError(f"unknown notice kind {kind!r}")

    def due(self, now_ms: int) -> list[Release]:
        """Held pushes whose time has come, oldest first; each is recorded as sent."""
        ready = sorted(
            (t.held_due_ms, key)
            for key, t in self._tracks.items()
            if t.held_due_ms is not None and t.held_due_ms <= now_ms
        )
        out: list[Release] = []
        for _, (person_id, case_no) in ready:
            t = self._tracks[(person_id, case_no)]
            if not self._room(person_id, now_ms):
                t.held_due_ms = self._next_room_ms(person_id)
                continue
            assert t.held_kind is not None
            out.append(Release(person_id, case_no, t.held_kind, t.held_updates))
            self._record(t, person_id, t.held_kind, now_ms)
        return out

    def next_due_ms(self) -> int | None:
        dues = [t.held_due_ms for t in self._tracks.values() if t.held_due_ms is not None]
        return min(dues) if dues else None

    def forget(self, case_no: str) -> None:
        """Drop what is known of a closed case (keeps memory bounded)."""
        for key in [k for k in self._tracks if k[1] == case_no]:
            del self._tracks[key]

    # internals

    def _send_or_cap(
        self, t: Track, person_id: str, kind: str, now_ms: int, *, updates: int
    ) -> Decision:
        if not self._room(person_id, now_ms):
            return self._hold(t, kind, self._next_room_ms(person_id), "over the per-minute cap")
        self._record(t, person_id, kind, now_ms)
        return Decision(Verdict.SEND, kind, "sent")

    def _hold(self, t: Track, kind: str, due_ms: int, reason: str) -> Decision:
        # an urgent kind held over the cap keeps its kind; updates fold into it
        if t.held_kind is None or kind in URGENT:
            t.held_kind = kind
        t.held_updates += 1
        t.held_due_ms = due_ms if t.held_due_ms is None else min(t.held_due_ms, due_ms)
        return Decision(Verdict.HOLD, t.held_kind, reason, t.held_due_ms)

    def _record(self, t: Track, person_id: str, kind: str, now_ms: int) -> None:
        t.last_sent_ms = now_ms
        t.last_kind = kind
        t.held_kind = None
        t.held_updates = 0
        t.held_due_ms = None
        self._sent.setdefault(person_id, []).append(now_ms)

    def _room(self, person_id: str, now_ms: int) -> bool:
        recent = [s for s in self._sent.get(person_id, []) if now_ms - s < 60_000]
        self._sent[person_id] = recent
        return len(recent) < self.config.max_per_minute

    def _next_room_ms(self, person_id: str) -> int:
        return min(self._sent[person_id]) + 60_000


UPDATE_ACTIONS = frozenset({"rework", "resume", "decide_postpone", "suspend", "reopen", "note"})


@dataclass(frozen=True)
class OnCase:
    """Who is on a case at one point of its log: the assignees and the 1+1+X joint command
    (commander, lead unit and cooperating units together, in that order)."""

    assignees: tuple[str, ...] = ()
    joint: tuple[str, ...] = ()

    @classmethod
    def of(cls, view: CaseView) -> OnCase:
        j = view.facts.get("joint") or {}
        named = [j.get("commander"), j.get("lead"), *(j.get("cooperating") or ())]
        return cls(tuple(view.assignees), tuple(str(p) for p in named if p))


def notices_for(
    action: str, actor: str, before: OnCase, after: OnCase
) -> list[tuple[str, NoticeKind]]:
    """Who hears about one case event, and as what.

    ``before`` is who was on the case just before the event, ``after`` just after it.

    - ``dispatch`` wakes the assignees it names; ``escalate`` the next tier it names.
    - ``reassign`` is a dispatch for whoever it puts on the case; someone it keeps on hears
      of the change as an ``update``. Whoever it takes off gets no push: a push says "a
      case needs you" (contract v1 has no kind for "no longer yours"); the app's change
      stream shows them the reassignment while it is open (``hub/push/case_scope.py``).
    - The 1+1+X joint command (the ``joint`` action, or a dispatch that carries one) is a
      dispatch for each newly named commander, lead or cooperating person who was not on
      the case already; the assignees and anyone on the case who is newly named get an
      ``update``. People the joint command named before and still names hear nothing.
    - ``attach_alarm`` is a re-trigger for the assignees; other changes of a case an
      operator makes (``UPDATE_ACTIONS``) an ``update``.

    Nobody is told of their own action; actions a responder takes themselves (accept, start,
    resolve) push nothing. Each person hears once per event, the most urgent kind first.
    """
    out: list[tuple[str, NoticeKind]] = []
    if action == "dispatch":
        out = [(p, "dispatch") for p in after.assignees]
    elif action == "escalate":
        out = [(p, "escalation") for p in after.assignees]
    elif action == "reassign":
        out = [(p, "dispatch") for p in after.assignees if p not in before.assignees]
        out += [(p, "update") for p in after.assignees if p in before.assignees]
    elif action == "attach_alarm":
        out = [(p, "retrigger") for p in before.assignees]
    elif action in UPDATE_ACTIONS:
        out = [(p, "update") for p in before.assignees]
    if action in ("dispatch", "joint"):
        on_before = {*before.assignees, *before.joint}
        fresh = [p for p in after.joint if p not in before.joint]
        out += [(p, "dispatch") for p in fresh if p not in on_before]
        if action == "joint" and fresh:
            out += [(p, "update") for p in (*after.assignees, *fresh) if p in on_before]
    seen: set[str] = set()
    unique = []
    for person, kind in out:
        if person != actor and person not in seen:
            seen.add(person)
            unique.append((person, kind))
    return unique

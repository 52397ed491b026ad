"""Which case changes one responder may see on the live stream.

A responder sees a change of a case they are on, as of that change: assigned (or named in
its 1+1+X command) before it, or by it. So a dispatch to them shows, and so does the
escalation or reassignment that takes the case off them (they learn it is no longer
theirs), but nothing after that.

"As of that change" matters for a stream resumed from an old id: the people on the case now
may differ from those when the change happened. The scope folds each case's log up to the
change (loaded once per case and connection, then advanced event by event with the pure
case fold), so a replay shows the same changes the live stream showed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from hub.domain.case_state import CaseEvent, CaseView, apply, fold

# loads the first ``n`` events of a case's log
LoadEvents = Callable[[str, int], Awaitable[list[CaseEvent]]]


class ResponderScope:
    def __init__(self, person_id: str, load: LoadEvents, max_cases: int = 2000) -> None:
        if not person_id:
            raise ValueError("a responder scope needs a person id, got an empty one")
        self.person_id = person_id
        self._load = load
        self._max = max_cases
        self._views: OrderedDict[str, CaseView] = OrderedDict()
        self.loads = 0  # how often a case log was read (the rest advanced in memory)

    async def admits(self, case_no: str, event: dict[str, Any]) -> bool:
        """True when the responder is on ``case_no`` just before or just after ``event``."""
        ev = CaseEvent.from_dict(event)
        before = self._views.get(case_no)
        if before is None or before.events != ev.seq - 1:
            before = fold(await self._load(case_no, ev.seq - 1)) if ev.seq > 1 else CaseView()
            self.loads += 1
        after = apply(before, ev)
        self._views[case_no] = after
        self._views.move_to_end(case_no)
        while len(self._views) > self._max:
            self._views.popitem(last=False)
        return self.person_id in before.people or self.person_id in after.people

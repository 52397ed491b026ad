"""Supervision over the open cases: their colours now, a notice for each case that turned
red (once per time limit), and operators' supervision orders. The rules are pure
(``hub.domain.supervision``); this module reads the logs and appends the events.

A notice is a ``note`` event by ``system:supervision`` with ``data.supervision = "notice"``,
the share used, the deadline it is about and ``notify``: the handler's superiors (the people
of the case's next escalation step, or of its last step when it is already there). The
change stream carries it to the rooms. Several hubs scan side by side: a short Redis guard
(``SET NX``, 60 s) lets one of them append it, and the log is the record that it was given.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from redis.asyncio import Redis

from hub.domain.case_state import CaseEvent, CaseView, fold
from hub.domain.clock import Clock
from hub.domain.escalation import FrozenPolicy
from hub.domain.supervision import (
    NOTICE,
    ORDER,
    Levels,
    Standing,
    log_skip,
    needs_notice,
    record_skip,
    standing,
)
from hub.services.cancellation import raise_if_cancelled
from hub.services.cases import CaseService
from hub.services.context import HubContext
from hub.store.cases import CaseStore
from hub.store.keys import Keys

log = logging.getLogger(__name__)
ACTOR = "system:supervision"
WINDOW_MS = 30 * 86_400_000  # open cases reported in the last 30 days are watched
GUARD_S = 60


class OrderError(ValueError):
    """A supervision order that cannot be given (closed case, past deadline, no note)."""


class Supervision:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        store: CaseStore,
        cases: CaseService,
        ctx: HubContext,
        clock: Clock,
    ) -> None:
        self.r, self.k, self.store, self.cases, self.ctx, self.clock = (
            redis,
            keys,
            store,
            cases,
            ctx,
            clock,
        )
        s = ctx.settings.supervision
        self.levels = Levels(s.yellow_at, s.red_at)
        self.interval_s = s.scan_interval_s
        # the last scan's cases left out, by reason (record_skip, log_skip)
        self.skipped: Counter[str] = Counter()

    async def open_logs(self) -> list[tuple[str, list[CaseEvent]]]:
        """The logs of the open cases reported within ``WINDOW_MS``; a record that cannot
        be watched is left out and counted in ``skipped`` (reset here)."""
        self.skipped.clear()
        records = await self.store.open_records(self.clock.now_ms() - WINDOW_MS)
        open_numbers = []
        for r in records:
            reason = record_skip(r)
            if reason is None:
                open_numbers.append(r["case_no"])
            else:
                self.skipped[reason] += 1
        return list(zip(open_numbers, await self.store.logs(open_numbers), strict=True))

    def standing(self, view: CaseView) -> Standing | None:
        return standing(view, self.clock.now_ms(), self.levels, self.ctx.calendar)

    async def board(self) -> list[dict[str, Any]]:
        """Every watched open case with its colour, most urgent first."""
        out = []
        for no, events in await self.open_logs():
            view = fold(events)
            s = self.standing(view)
            if s is None:
                continue
            out.append(
                {
                    "case_no": no,
                    "state": view.state,
                    "colour": s.colour,
                    "share": s.share,
                    "due_ms": s.due_ms,
                    "grid_code": view.facts.get("grid_code"),
                    "category": view.facts.get("category"),
                    "assignees": list(view.assignees),
                    "orders": sum(
                        1
                        for e in events
                        if e.action == "note" and e.data.get("supervision") == ORDER
                    ),
                }
            )
        out.sort(key=lambda c: -float(str(c["share"])))
        return out

    def superiors(self, view: CaseView) -> list[str]:
        try:
            policy = FrozenPolicy.from_dict(view.facts["policy"])
            step = policy.steps[min(view.tier + 1, len(policy.steps) - 1)]
            grid, cat = str(view.facts["grid_code"]), str(view.facts["category"])
            return list(self.ctx.router.people_for(step.notify, grid, cat))
        except (KeyError, IndexError, ValueError, TypeError):
            return []

    async def scan(self) -> int:
        """Give a notice to each watched case that is red without one; returns how many."""
        given = 0
        now = self.clock.now_ms()
        for no, events in await self.open_logs():
            view = fold(events)
            reason = log_skip(events, view)
            if reason is not None:
                self.skipped[reason] += 1
                continue
            s = needs_notice(events, view, now, self.levels, self.ctx.calendar)
            if s is None:
                continue
            guard = f"{self.k.prefix}:supervision:{no}:{s.due_ms}"
            if not await self.r.set(guard, 1, nx=True, ex=GUARD_S):
                continue  # another hub is giving it
            await self.cases.act(
                no,
                "note",
                ACTOR,
                note=f"督办提醒: 已用时限 {round(s.share * 100)}%",
                data={
                    "supervision": NOTICE,
                    "share": s.share,
                    "due_ms": s.due_ms,
                    "notify": self.superiors(view),
                },
            )
            given += 1
        if self.skipped:
            log.warning(
                "supervision scan skipped %d case(s): %s",
                sum(self.skipped.values()),
                ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())),
            )
        return given

    async def order(self, no: str, actor: str, note: str, deadline_ms: int) -> CaseView:
        """An operator's supervision order on an open case: a note with its deadline."""
        view = await self.store.view(no)
        if not view.events:
            raise KeyError(no)
        if not view.is_open:
            raise OrderError(f"case {no} is {view.state!r}: only an open case can be supervised")
        now = self.clock.now_ms()
        if deadline_ms <= now:
            raise OrderError(f"the order's deadline {deadline_ms} is not after now ({now})")
        if not note.strip():
            raise OrderError("a supervision order needs a note saying what is asked")
        s = self.standing(view)
        data: dict[str, Any] = {"supervision": ORDER, "deadline_ms": deadline_ms}
        if s is not None:
            data |= {"share": s.share, "colour": s.colour, "due_ms": s.due_ms}
        data["notify"] = sorted({*view.assignees, *self.superiors(view)})
        return await self.cases.act(no, "note", actor, note=note.strip(), data=data)

    async def run(self) -> None:
        while True:
            raise_if_cancelled()
            try:
                n = await self.scan()
                if n:
                    log.info("supervision: %d notice(s) given", n)
            except Exception:  # the next scan tries again
                log.exception("supervision scan failed")
            await asyncio.sleep(self.interval_s)

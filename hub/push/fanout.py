"""Case changes → pushes. Follows the hub's change stream in a consumer group (so several
hub processes share the changes), asks the push policy, whose memory lives in Redis
(``policy_store.py``: so an update handled by one process is coalesced with the push another
process sent), and sends through every channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from contracts.messages import ResponderPush
from hub.district import District
from hub.domain.case_state import CaseView, fold
from hub.domain.clock import Clock
from hub.domain.push_policy import OnCase, PushPolicy, Release, Verdict, notices_for
from hub.push.cancellation import raise_if_cancelled
from hub.push.channels import PushChannel
from hub.push.policy_store import SharedPushPolicy
from hub.services.metrics import METRICS
from hub.store.cases import CaseStore
from hub.store.keys import Keys

log = logging.getLogger(__name__)
GROUP = "push"


class PushFanout:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        store: CaseStore,
        district: District,
        clock: Clock,
        channels: Sequence[PushChannel],
        policy: PushPolicy | None = None,
        consumer: str = "push-1",
    ) -> None:
        """``policy`` gives the policy's settings; its memory is the shared one in Redis."""
        self.r, self.k, self.store, self.district, self.clock = redis, keys, store, district, clock
        self.channels = list(channels)
        self.policy = SharedPushPolicy(redis, keys.prefix, (policy or PushPolicy()).config)
        self.consumer = consumer
        self.sent: list[ResponderPush] = []  # the last pushes, newest last (for the API)
        self.failures = 0

    # --- content -------------------------------------------------------------------------
    def build(
        self, view: CaseView, person: str, kind: str, seq: int, updates: int = 1
    ) -> ResponderPush:
        facts = view.facts
        cat_code = str(facts.get("category", "00000"))
        cat = self.district.categories.get(cat_code)
        grid_code = str(facts.get("grid_code", ""))
        grid = self.district.grids.get(grid_code)
        camera = self.district.cameras.get(str(facts.get("camera_id", "")))
        place = grid.name_zh if grid else grid_code or "unknown place"
        if camera is not None:
            place = f"{place} · {camera.name}"
        due_key = "accept_due_ms" if view.accepted_ms is None else "dispose_due_ms"
        deadline = facts.get(due_key)
        return ResponderPush(
            push_id=f"{view.case_no}-{seq}-{kind[:3]}-{person}"[:96],
            person_id=person,
            kind=kind,  # type: ignore[arg-type]
            case_no=view.case_no,
            category=cat_code,
            category_name=(cat.name_zh if cat else cat_code)[:80],
            place=place[:200],
            grid_code=grid_code or None,
            state=view.state,
            tier=view.tier,
            deadline_ms=int(deadline) if deadline is not None else None,
            snapshot_id=facts.get("snapshot_id") or None,
            sent_ms=self.clock.now_ms(),
            updates=updates,
        )

    # --- one change ----------------------------------------------------------------------
    async def on_case_event(self, case_no: str, event: dict[str, Any]) -> list[ResponderPush]:
        """Push what one appended case event calls for; returns the pushes sent now."""
        seq = int(event["seq"])
        events = (await self.store.events(case_no))[:seq]
        if len(events) < seq:
            log.warning(
                "case %s: change names event %d but the log has %d", case_no, seq, len(events)
            )
            return []
        before, after = fold(events[:-1]), fold(events)
        now = self.clock.now_ms()
        out = []
        who = notices_for(event["action"], event["actor"], OnCase.of(before), OnCase.of(after))
        for person, kind in who:
            decision = await self.policy.offer(person, case_no, kind, now)
            if decision.verdict is Verdict.SEND:
                out.append(self.build(after, person, decision.kind, seq))
        if not after.is_open:
            await self.policy.forget(case_no)
        await self._send_all(out)
        return out

    async def release_due(self) -> list[ResponderPush]:
        releases: list[Release] = await self.policy.due(self.clock.now_ms())
        out = []
        for rel in releases:
            view = await self.store.view(rel.case_no)
            if view.is_open:
                out.append(self.build(view, rel.person_id, rel.kind, view.events, rel.updates))
        await self._send_all(out)
        return out

    async def _send_all(self, pushes: Sequence[ResponderPush]) -> None:
        jobs = [self._send_one(ch, p) for p in pushes for ch in self.channels]
        await asyncio.gather(*jobs)
        self.sent = [*self.sent, *pushes][-100:]

    async def _send_one(self, channel: PushChannel, push: ResponderPush) -> None:
        try:
            await channel.send(push)
        except Exception:  # one channel failing never stops the others
            self.failures += 1
            METRICS.push_failures.inc()
            log.exception("push %s via %s failed", push.push_id, channel.name)

    # --- the loop ------------------------------------------------------------------------
    async def ensure_group(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists
            await self.r.xgroup_create(self.k.changes, GROUP, id="$", mkstream=True)

    async def step(self, block_ms: int = 500) -> int:
        """Read and handle one batch of changes, then release due held pushes."""
        got: Any = await self.r.xreadgroup(
            GROUP, self.consumer, {self.k.changes: ">"}, count=100, block=block_ms
        )
        raise_if_cancelled()
        n = 0
        for _stream, entries in got or []:
            for entry_id, fields in entries:
                await self._handle(fields)
                await self.r.xack(self.k.changes, GROUP, entry_id)
                n += 1
                raise_if_cancelled()
        await self.release_due()
        return n

    async def _handle(self, fields: dict[bytes, bytes]) -> None:
        f = {k.decode(): v.decode() for k, v in fields.items()}
        if f.get("kind") != "case" or "event" not in f:
            return
        try:
            await self.on_case_event(f["case_no"], json.loads(f["event"]))
        except Exception:
            self.failures += 1
            log.exception("push fan-out could not handle change %s", f)

    async def run(self) -> None:
        """Follow the change stream until cancelled. A cancel that a library below lost
        (``cancellation.py``) still ends the loop after the step it landed in."""
        await self.ensure_group()
        while True:
            raise_if_cancelled()
            try:
                await self.step()
            except Exception:  # the outermost loop: log, pause, go on
                log.exception("push fan-out step failed")
                await asyncio.sleep(1)

"""The wall's alarms: what the hub's change stream says, and the operator's actions on them.

The hub is the source of truth. An alarm queued for verification goes on the wall as
``verifying``; a case (filed automatically, or confirmed by an operator, with edits) puts
its number, state, category, grid, assignees and deadline on the tile of its alarm, with
the detection boxes the hub's alarm record holds at that event; a case
that is closed, verified, rejected or merged, or an alarm rejected, leaves the wall.
Confirming and rejecting go through the hub's verification queue (``hub.api.alarms``), so
the case number comes from the hub's one counter; a rejection with its reason is also kept
as training feedback. Acknowledging takes a tile down; the case lives on in the case list
and comes back to the wall only if it is reopened.
"""

from __future__ import annotations

import logging
from typing import Any

from hub.api.alarms import alarm_detection, confirm_alarm, reject_alarm
from hub.domain import wall_rules as rules
from hub.domain.case_state import TERMINAL_STATES
from hub.domain.escalation import sla_deadlines
from hub.runtime import HubRuntime
from hub.services.case_people import BadActionData, person
from hub.wall.alarm_view import UnknownPlace, case_alarm, people_case, queued_alarm
from hub.wall.codec import ConfirmBody, RejectBody
from hub.wall.service import WallService

log = logging.getLogger(__name__)


class AlarmDesk:
    def __init__(self, service: WallService, rt: HubRuntime) -> None:
        self.service = service
        self.store = service.store
        self.rt = rt
        self.district = service.district

    # --- from the hub's change stream ----------------------------------------------------
    async def on_queued(self, key: str, alert: dict[str, Any]) -> dict[str, Any] | None:
        """An alarm the hub put in its verification queue."""
        return (await self.on_queued_many([(key, alert)])).get(key)

    async def on_queued_many(
        self, items: list[tuple[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any]]:
        """Alarms the hub put in its verification queue, applied together: one read of
        the wall's records, one write, one update of each wall (an alarm storm brings them
        by the hundred). Returns what each key shows (a case already on the wall keeps its
        view); an alarm naming no known place or category is left out."""
        details: dict[str, dict[str, Any]] = {}
        for key, alert in items:  # a key twice in one batch: its latest
            detail = self._queued_detail(key, alert)
            if detail is not None:
                details[key] = detail
        if not details:
            return {}
        olds = await self.store.alarms(list(details))
        shown = {k: olds[k] for k in details if (olds.get(k) or {}).get("case_no")}
        fresh = [d for k, d in details.items() if k not in shown]
        if fresh:
            await self.store.put_alarms(fresh)
            await self.service.place_many(fresh)
        for d in fresh:
            if d["alarm_id"] in olds:  # same tiles, new details: tell the monitors anyway
                await self.store.publish({"wall": "*", "kind": "alarm", "alarm_id": d["alarm_id"]})
        return shown | {d["alarm_id"]: d for d in fresh}

    def _queued_detail(self, key: str, alert: dict[str, Any]) -> dict[str, Any] | None:
        place = self.rt.ctx.zones.get((str(alert.get("camera_id")), str(alert.get("zone_id"))))
        cat = str(alert.get("category"))
        if place is None or place.grid_code is None or cat not in self.district.categories:
            log.warning("queued alarm %s names no known place or category: not shown", key)
            return None
        policy = self.rt.ctx.policy_for(place.grid_code, cat)
        started = int(alert["started_at_ms"])
        due = sla_deadlines(policy, started, None, self.rt.ctx.calendar)["dispatch_due_ms"]
        try:
            return queued_alarm(self.district, key, alert, place.grid_code, due)
        except UnknownPlace as exc:
            log.warning("queued alarm %s not shown: %s", key, exc)
            return None

    async def on_case(self, case_no: str, actions: set[str]) -> dict[str, Any] | None:
        """Bring the wall's view of a case up to date from its log."""
        view = await self.rt.store.view(case_no)
        if not view.facts:
            return None
        primary = str(view.facts.get("alarm_key") or "")
        keys = list(dict.fromkeys([primary, *view.alarms])) if primary else list(view.alarms)
        if not keys:  # a case from people (hub/intake): no tile; a ticker line on its walls
            if "file" in actions and view.state not in TERMINAL_STATES:
                note = people_case(self.district, case_no, view.facts)
                await self.store.publish({"wall": "*", "kind": "case", "alarm": note})
            return None
        if view.state in TERMINAL_STATES:
            for key in keys:
                old = await self.store.alarm(key)
                if old is not None and old.get("case_no") in (case_no, None):
                    await self.take_down(key)
            return None
        if "reopen" in actions:
            await self.store.unmark_acked(case_no)
        elif await self.store.is_acked(case_no):
            return None
        people = [self._person(p) for p in view.assignees]
        shown = None
        for key in keys:
            old = await self.store.alarm(key)
            if old is None and key != primary:
                continue  # an attached alarm the wall never showed
            try:
                detail = case_alarm(
                    self.district,
                    key,
                    view.state,
                    view.facts,
                    people,
                    view.reported_ms or 0,
                    old,
                    await alarm_detection(self.rt, key),
                    self.rt.settings.correlation.joint_turnout_min * 60,
                )
            except UnknownPlace as exc:
                log.warning("case %s not shown: %s", case_no, exc)
                continue
            await self._put(detail, announce=True)
            if old is None or not old.get("case_no"):
                await self.store.publish({"wall": "*", "kind": "case", "alarm": detail})
            shown = shown or detail
        return shown

    async def on_alarm_gone(self, key: str, at_ms: int, *, rejected: bool) -> None:
        """The hub cleared an alarm (the condition is gone) or an operator rejected it."""
        old = await self.store.alarm(key)
        if old is None:
            return
        if rejected and old.get("status") == "verifying":
            await self.take_down(key)
        elif old.get("status") == "verifying" and not old.get("ended_ms"):
            await self._put({**old, "ended_ms": at_ms}, announce=True)  # shown until handled

    async def on_fleet(self, body: dict[str, Any]) -> None:
        """A fleet alarm raised or cleared: cameras and the banner change on every wall."""
        cam = self.district.cameras.get(body.get("camera_id") or "")
        note = body | {"camera_name": cam.name if cam else None}
        await self.store.publish({"wall": "*", "kind": "fleet", "alarm": note})

    # --- operator actions ----------------------------------------------------------------
    async def acknowledge(self, alarm_id: str) -> None:
        """Take the alarm off every wall; a case lives on in the case list."""
        detail = await self.store.alarm(alarm_id)
        if detail is not None and detail.get("case_no"):
            await self.store.mark_acked(str(detail["case_no"]))
        await self.take_down(alarm_id)

    async def confirm(self, alarm_id: str, body: ConfirmBody) -> dict[str, Any]:
        detail = await self._verifying(alarm_id, "confirmed")
        actor = f"operator:{body.actor}"
        case_no = await confirm_alarm(self.rt, alarm_id, actor, body.category, body.urgency)
        if case_no is None:
            raise ValueError(
                f"alarm {alarm_id!r} is not waiting in the hub's verification queue "
                "(filed automatically, rejected or cleared)"
            )
        shown = await self.on_case(case_no, {"file"})
        return shown or {**detail, "case_no": case_no}

    async def reject(self, alarm_id: str, body: RejectBody) -> dict[str, Any]:
        detail = await self._verifying(alarm_id, "rejected")
        cleared = await reject_alarm(self.rt, alarm_id, body.actor, body.reason)
        record = {**detail, "reason": body.reason, "rejected_by": body.actor}
        record |= {"rejected_ms": self.rt.clock.now_ms(), "hub_cleared": cleared}
        feedback_id = await self.store.add_feedback(record)
        await self.take_down(alarm_id)
        return {"alarm_id": alarm_id, "feedback_id": feedback_id}

    async def verification_queue(self) -> list[dict[str, Any]]:
        alarms = await self.store.alarms(await self.store.active_alarm_ids())
        return sorted(alarms.values(), key=lambda a: (-a["severity"], a["started_ms"]))

    # --- helpers -------------------------------------------------------------------------
    async def take_down(self, alarm_id: str) -> None:
        await self.service.each_wall(lambda s: rules.revert_alarm(s, alarm_id)[0])
        await self.store.drop_alarm(alarm_id)

    async def _put(self, detail: dict[str, Any], *, announce: bool) -> None:
        await self.store.put_alarm(detail)
        await self.service.place(detail)
        if announce:  # same tiles, new details: tell the monitors anyway
            await self.store.publish({"wall": "*", "kind": "alarm", "alarm_id": detail["alarm_id"]})

    async def _verifying(self, alarm_id: str, verb: str) -> dict[str, Any]:
        detail = await self.store.alarm(alarm_id)
        if detail is None:
            raise KeyError(alarm_id)
        if detail["status"] != "verifying":
            raise ValueError(
                f"alarm {alarm_id!r} is already {detail['status']} "
                f"(case {detail.get('case_no')}): it cannot be {verb}"
            )
        return detail

    def _person(self, person_id: str) -> dict[str, Any]:
        try:
            return person(self.rt.ctx, person_id)
        except BadActionData:
            return {"person_id": person_id, "name": person_id, "role": None}

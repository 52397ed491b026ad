"""Case actions with their side effects: timers, verification requests, dedup indexes.

The state machine and deadlines are pure (``hub.domain``); this module loads the log, asks
the domain for the next event, appends it with compare-and-set and then does the I/O the
new state calls for.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

from redis.asyncio import Redis

from contracts.codec import encode
from contracts.messages import VerifyRequest
from contracts.topics import TopicKind, topic_for
from hub.domain.case_state import CaseEvent, CaseView, fold, next_event
from hub.domain.clock import Clock
from hub.domain.escalation import FrozenPolicy, should_escalate, sla_deadlines, step_deadline
from hub.domain.verification import (
    Next,
    after_answer,
    answer_due_ms,
    backed_result,
    check_of,
    timer_member,
)
from hub.services.case_people import people_data, policy_with_urgency
from hub.services.context import HubContext
from hub.services.faults import crash_point
from hub.store.cases import CaseStore, Conflict, Effects
from hub.store.keys import Keys

log = logging.getLogger(__name__)
CLOSED_FOR_DEDUP = frozenset({"verified", "closed", "evaluated", "rejected", "merged"})


class Publisher(Protocol):
    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None: ...


class CaseService:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        store: CaseStore,
        ctx: HubContext,
        clock: Clock,
        publisher: Publisher | None,
    ) -> None:
        self.r, self.k, self.store, self.ctx, self.clock = redis, keys, store, ctx, clock
        self.publisher = publisher

    # --- creation ------------------------------------------------------------------------
    async def create_from_alarm(self, case_no: str, alarm: dict[str, str], filed_by: str) -> bool:
        """Report, file and dispatch a new case for an alarm; False if it already exists."""
        now = self.clock.now_ms()
        grid, cat = alarm["grid_code"], alarm["category"]
        camera, zone, _ = alarm["key"].split(":")
        urgency = alarm.get("urgency") or self.ctx.district.categories[cat].urgency
        policy = policy_with_urgency(self.ctx, self.ctx.policy_for(grid, cat), cat, urgency)
        owner = self.ctx.owners.owner_of(cat)
        facts: dict[str, Any] = {
            "case_no": case_no,
            "source": "video_ai",
            "department": owner.department,
            "platform": owner.platform,
            "grid_code": grid,
            "category": cat,
            "alarm_key": alarm["key"],
            "camera_id": camera,
            "zone_id": zone,
            "box_id": alarm.get("box_id", ""),
            "lon": float(alarm["lon"]),
            "lat": float(alarm["lat"]),
            "confidence": float(alarm.get("confidence", 0)),
            "snapshot_id": alarm.get("snapshot_id") or None,
            "urgency": urgency,
            "policy": policy.to_dict(),
        }
        if alarm.get("detected_category") and alarm["detected_category"] != cat:
            facts["detected_category"] = alarm["detected_category"]  # the operator's edit
        events: list[CaseEvent] = []
        view = CaseView()
        for action, actor, data in (
            ("report", f"edge:{facts['box_id']}", facts),
            ("file", filed_by, {}),
            (
                "dispatch",
                "system",
                self.dispatch_data(grid, cat, policy, 0, now, now, owner.department),
            ),
        ):
            ev = next_event(view, action, actor=actor, at_ms=now, data=data)
            events.append(ev)
            view = fold(events)
        fields = {
            "case_no": case_no,
            "grid_code": grid,
            "category": cat,
            "created_ms": now,
            "alarm_key": alarm["key"],
            "camera_id": camera,
            "box_id": facts["box_id"],
            "urgency": urgency,
            "source": "video_ai",
            "department": owner.department,
            "platform": owner.platform,
            "assignees": " ".join(view.assignees),
            "people": " ".join(view.people),
        } | due_fields(view)
        # the first escalation timer is written with the case, never after it
        timer = self.step_timer(case_no, policy, 0, now)
        timer.append(["ZADD", self.k.department_queue(owner.department), str(now), case_no])
        created = await self.store.create(case_no, events, fields, now, timer)
        crash_point("after_case_stored")
        return created

    def dispatch_data(
        self,
        grid: str,
        cat: str,
        policy: FrozenPolicy,
        tier: int,
        reported: int,
        now: int,
        department: str | None = None,
    ) -> dict[str, Any]:
        """Who is dispatched at ``tier`` (the owning department's teams at the enforcement
        tier) and the SLA deadlines from ``now``."""
        people = self.ctx.router.people_for(
            policy.steps[tier].notify, grid, cat, self.ctx.department_people(department)
        )
        data: dict[str, Any] = {"assignees": people, "tier": tier}
        data |= sla_deadlines(policy, reported, now, self.ctx.calendar)
        if cat in self.ctx.settings.correlation.joint_categories:
            j = self.ctx.router.joint(grid, cat, self.ctx.department_people(department))
            data["joint"] = {
                "commander": j.commander,
                "lead": j.lead,
                "cooperating": list(j.cooperating),
            }
        return data

    def step_timer(self, no: str, policy: FrozenPolicy, step: int, dispatched: int) -> Effects:
        due = step_deadline(policy, step, dispatched, self.ctx.calendar)
        return [] if due is None else [["ZADD", self.k.timers, str(due), f"esc|{no}|{step}"]]

    # --- actions -------------------------------------------------------------------------
    async def act(
        self,
        no: str,
        action: str,
        actor: str,
        *,
        reason: str | None = None,
        note: str | None = None,
        data: dict[str, Any] | None = None,
        effects: Effects | None = None,
        fields: dict[str, Any] | None = None,
    ) -> CaseView:
        """Apply one action (retrying on a concurrent append) and run its side effects;
        ``effects`` and ``fields`` (case hash fields) are written in the same atomic step."""
        for _ in range(5):
            events = await self.store.events(no)
            if not events:
                raise KeyError(no)
            view = fold(events)
            payload = dict(data or {})
            policy = FrozenPolicy.from_dict(view.facts["policy"])
            grid, cat = str(view.facts["grid_code"]), str(view.facts["category"])
            dep = str(view.facts.get("department") or "") or None
            if action == "dispatch":
                payload = self.dispatch_data(
                    grid, cat, policy, 0, view.reported_ms or 0, self.clock.now_ms(), dep
                )
            elif action == "escalate" and "tier" not in payload:
                payload["tier"] = view.tier + 1
            if action in ("reassign", "joint"):
                payload = people_data(self.ctx, action, payload, grid, cat, dep)
            if action == "escalate":
                payload["assignees"] = self.ctx.router.people_for(
                    policy.steps[int(payload["tier"])].notify,
                    grid,
                    cat,
                    self.ctx.department_people(dep),
                )
            ev = next_event(
                view,
                action,
                actor=actor,
                at_ms=self.clock.now_ms(),
                reason=reason,
                note=note,
                data=payload,
            )
            new = fold([*events, ev])
            try:
                await self.store.append(
                    no,
                    ev,
                    new.tier,
                    {"assignees": " ".join(new.assignees), "people": " ".join(new.people)}
                    | due_fields(new)
                    | (fields or {}),
                    self._effects(new, ev, policy) + (effects or []),
                )
            except Conflict:
                continue
            crash_point("after_case_event")
            if ev.action == "resolve" and new.facts.get("camera_id"):
                await self.r.hset(self.k.case(no), "verify_clear", 0)
                await self.request_verification(new)
            return new
        raise Conflict(f"case {no}: too many concurrent changes")

    def _effects(self, view: CaseView, ev: CaseEvent, policy: FrozenPolicy) -> Effects:
        """What the event changes beside the log, written in the append's atomic step: the
        audit entry, the escalation timer of a dispatch or escalation, the dedup indexes a
        case leaves when it closes and rejoins when it reopens."""
        no = view.case_no
        out: Effects = [
            [
                "XADD",
                self.k.audit,
                "MAXLEN",
                "~",
                str(self.ctx.settings.ingest.changes_max),
                "*",
                "actor",
                ev.actor,
                "action",
                ev.action,
                "case_no",
                no,
                "at_ms",
                str(ev.at_ms),
            ]
        ]
        if ev.action == "dispatch" and view.dispatched_ms is not None:
            out += self.step_timer(no, policy, 0, view.dispatched_ms)
        elif ev.action == "escalate" and view.dispatched_ms is not None:
            # a hand-over restarted the clock: later steps count from it
            start = int(view.facts.get("sla_from_ms") or view.dispatched_ms)
            out += self.step_timer(no, policy, view.tier, start)
        grid, cat = str(view.facts["grid_code"]), str(view.facts["category"])
        if ev.to_state in CLOSED_FOR_DEDUP and ev.from_state not in CLOSED_FOR_DEDUP:
            out += self._leave_open_index(view, grid, cat)
        if ev.action == "reopen":
            lon, lat = str(float(view.facts["lon"])), str(float(view.facts["lat"]))
            out.append(["GEOADD", self.k.open_cases(grid, cat), lon, lat, no])
            if view.facts.get("department"):
                dep = str(view.facts["department"])
                out.append(["ZADD", self.k.department_queue(dep), str(ev.at_ms), no])
        return out

    def _leave_open_index(self, view: CaseView, grid: str, cat: str) -> Effects:
        ttl_ms = self.ctx.rules.recurrence_ms
        now = str(self.clock.now_ms())
        out: Effects = [
            ["ZREM", self.k.open_cases(grid, cat), view.case_no],
            ["ZREM", self.k.triage, view.case_no],
        ]
        if view.facts.get("department"):
            out.append(
                ["ZREM", self.k.department_queue(str(view.facts["department"])), view.case_no]
            )
        for key in view.alarms:
            if ttl_ms > 0 and view.state != "rejected":
                out.append(["SET", self.k.recent(key), view.case_no, "PX", str(int(ttl_ms))])
            out.append(["HSET", self.k.alarm(key), "state", "cleared", "cleared_ms", now])
            out.append(["ZREM", self.k.timers, f"clear|{key}"])
        return out

    # --- verification by camera ---------------------------------------------------------------
    async def request_verification(self, view: CaseView) -> None:
        no = view.case_no
        if self.publisher is None:
            await self._to_human(no, "system", "no MQTT link to ask the camera")
            return
        now = self.clock.now_ms()
        rid = f"vr-{no}-{uuid.uuid4().hex[:8]}"
        req = VerifyRequest(
            request_id=rid,
            camera_id=str(view.facts["camera_id"]),
            zone_id=str(view.facts["zone_id"]),
            category=str(view.facts["category"]),
            case_no=no,
            requested_ms=now,
        )
        timeout_s = self.ctx.settings.verification.timeout_s
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.set(self.k.verify(rid), no, ex=max(86_400, int(timeout_s) + 3600))
            pipe.hset(self.k.case(no), "verification", "camera")
            pipe.zadd(self.k.timers, {timer_member(rid, no): answer_due_ms(now, timeout_s)})
            await pipe.execute()
        topic = topic_for(
            self.ctx.settings.mqtt.topic_prefix, TopicKind.VERIFY_REQUEST, str(view.facts["box_id"])
        )
        self.publisher.publish(topic, encode(req), qos=1)

    async def on_verify_response(
        self,
        request_id: str,
        result: str,
        camera_id: str,
        answer: Mapping[str, Any] | None = None,
    ) -> None:
        """Take the box's answer (``answer``: the whole ``VerifyResponse`` as a dict) to the
        next step; the checks that decide it go on the case's log with the step."""
        raw = await self.r.getdel(self.k.verify(request_id))
        if raw is None:
            log.info(
                "verify response %s matches no open request (answered or timed out)", request_id
            )
            return
        no = raw.decode() if isinstance(raw, bytes) else str(raw)
        await self.r.zrem(self.k.timers, timer_member(request_id, no))
        view = await self.store.view(no)
        if view.state != "resolved":
            return
        actor = f"camera:{camera_id}"
        check = check_of(
            answer or {"request_id": request_id, "camera_id": camera_id, "result": result}
        )
        result, unbacked = backed_result(check)
        n = 0
        if result == "clear":
            n = int(await self.r.hincrby(self.k.case(no), "verify_clear", 1))
            checks_key = self.k.verify_checks(no)
            async with self.r.pipeline(transaction=False) as pipe:
                if n == 1:  # the first clear of a new run of checks
                    pipe.delete(checks_key)
                pipe.rpush(checks_key, dumps(check))
                pipe.expire(checks_key, self._evidence_ttl_s())
                await pipe.execute()
        try:
            step = after_answer(result, n, self.ctx.settings.verification.clear_checks)
        except ValueError:  # an answer this hub does not know: a human decides
            step = Next.HUMAN
        if step is Next.REWORK:
            await self._keep_evidence([check])
            await self.act(
                no, "rework", actor, reason="camera still sees the problem", data={"check": check}
            )
        elif step is Next.VERIFY:
            raw_checks: Any = await self.r.lrange(self.k.verify_checks(no), 0, -1)
            checks = [json.loads(c) for c in raw_checks][-n:] or [check]
            await self._keep_evidence(checks)
            await self.act(
                no,
                "verify",
                actor,
                reason=f"{n} clear checks in a row",
                data={"checks": checks},
            )
            await self.r.delete(self.k.verify_checks(no))
            await self.act(no, "close", "system", reason="verified by camera")
        elif step is Next.ASK_AGAIN:
            await self.request_verification(view)
        else:
            await self._keep_evidence([check])
            why = unbacked or str(check.get("reason") or "the camera could not check")
            await self._to_human(no, actor, why, check)

    def _evidence_ttl_s(self) -> int:
        return self.ctx.settings.verification.evidence_days * 86_400

    async def _keep_evidence(self, checks: list[dict[str, Any]]) -> None:
        """Keep the frames behind a verification step (each check's after frame and the
        alarm frame it was compared with) as long as ``verification.evidence_days``."""
        ids = {
            str(c[k]) for c in checks for k in ("snapshot_id", "reference_snapshot_id") if c.get(k)
        }
        if not ids:
            return
        async with self.r.pipeline(transaction=False) as pipe:
            for sid in sorted(ids):
                pipe.expire(self.k.snapshot(sid), self._evidence_ttl_s())
            await pipe.execute()

    async def verification_timeout(self, request_id: str, no: str) -> bool:
        """A request nobody answered in time: the case goes to a human. False if answered."""
        if await self.r.getdel(self.k.verify(request_id)) is None:
            return False  # answered meanwhile (the answer removes the key)
        view = await self.store.view(no)
        if view.state != "resolved":
            return False
        timeout_s = self.ctx.settings.verification.timeout_s
        await self._to_human(
            no, "system:timer", f"the camera did not answer within {timeout_s:g} s"
        )
        return True

    async def _to_human(
        self, no: str, actor: str, why: str, check: dict[str, Any] | None = None
    ) -> None:
        await self.r.hset(self.k.case(no), "verification", "human")
        data: dict[str, Any] = {"verification": "human"}
        if check is not None:
            data["check"] = check
        await self.act(
            no,
            "note",
            actor,
            reason="verification by a human",
            note=f"{why}: an operator must verify",
            data=data,
        )

    async def escalate_if_due(self, no: str, step: int) -> bool:
        view = await self.store.view(no)
        if not view.facts:
            return False
        if not should_escalate(view, FrozenPolicy.from_dict(view.facts["policy"]), step):
            return False
        await self.act(
            no,
            "escalate",
            "system:timer",
            reason=f"step {step} deadline passed",
            data={"tier": step + 1},
        )
        return True


def due_fields(view: CaseView) -> dict[str, int]:
    """The SLA deadlines the case runs on now, for its hash (lists and queues show them)."""
    keys = ("accept_due_ms", "dispose_due_ms")
    return {k: int(view.facts[k]) for k in keys if view.facts.get(k) is not None}


def case_summary(rec: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(rec)
    for key in ("events", "tier", "created_ms", "accept_due_ms", "dispose_due_ms"):
        if key in out:
            out[key] = int(out[key])
    out["assignees"] = rec.get("assignees", "").split()
    out["people"] = rec.get("people", rec.get("assignees", "")).split()
    out.pop("policy", None)
    return out


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

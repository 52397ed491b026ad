"""The correlation worker: inbox stream (consumer group) → alarms → cases.

Several hub processes share one consumer group, so each inbox entry is correlated once.
Entries are acknowledged (XACK) after their effects are in Redis; a crashed worker's
entries are claimed again (its own at start, anyone's after ``claim_idle_ms``, looked for
whenever the stream is idle and at least every ``claim_idle_ms`` under load).

Every step survives a crash followed by a redelivery. The batch script writes, with each
outcome that needs a follow-up (a new case, a merge, a reopen, an alarm queued for an
operator), an intent keyed by the alert (``Keys.followups``). A redelivered alert is a
``duplicate`` of its alarm; its intent, if still there, says which follow-up to finish.
Each follow-up only does what is not done yet (a case is created once, compare-and-set; an
alarm is attached once; a reopened case is dispatched once), every case event is written
with its side effects in one atomic step (``CaseStore.append``), and the intent goes when
the follow-up is complete (the queued-alarm change in the same transaction as its intent).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from hub.domain.case_number import Source, day_key
from hub.domain.clock import Clock
from hub.domain.correlation import alarm_key, route
from hub.services import stage_costs
from hub.services.cancellation import raise_if_cancelled
from hub.services.cases import CaseService, dumps
from hub.services.context import HubContext
from hub.services.faults import crash_point
from hub.services.metrics import METRICS
from hub.store.boxes import encode as encode_boxes
from hub.store.boxes import kept_in_batch
from hub.store.keys import Keys
from hub.store.scripts import ALARM_BATCH, FILE_ALARM

log = logging.getLogger(__name__)
GROUP = "correlate"
FOLLOW_UP = frozenset({"create", "merge", "reopen", "verify", "overflow"})


class Processor:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        ctx: HubContext,
        cases: CaseService,
        clock: Clock,
        consumer: str,
        *,
        claim_idle_ms: int = 30_000,
    ) -> None:
        self.r, self.k, self.ctx, self.cases, self.clock = redis, keys, ctx, cases, clock
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self._file = redis.register_script(FILE_ALARM)
        self._alarm_batch = redis.register_script(ALARM_BATCH)
        self._tz = ZoneInfo(ctx.calendar.timezone)

    async def ensure_group(self) -> None:
        try:
            await self.r.xgroup_create(self.k.inbox, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self) -> None:
        await self.ensure_group()
        await self._drain("0")  # our own entries from before a crash
        claimed_at = time.monotonic()
        while True:
            raise_if_cancelled()
            try:
                n = await self.step(block_ms=1000)
                # a stream that is never idle must not keep a dead worker's entries for ever
                if n == 0 or time.monotonic() - claimed_at >= self.claim_idle_ms / 1000:
                    claimed_at = time.monotonic()
                    await self._claim_stale()
            except RedisError as exc:
                log.error("correlation step failed: %s", exc)
                await asyncio.sleep(0.5)

    async def _drain(self, start: str) -> None:
        while True:
            raise_if_cancelled()
            resp: Any = await self.r.xreadgroup(
                GROUP, self.consumer, {self.k.inbox: start}, count=500
            )
            entries = resp[0][1] if resp else []
            if not entries:
                return
            await self.handle(entries)

    async def _claim_stale(self) -> None:
        res: Any = await self.r.xautoclaim(
            self.k.inbox, GROUP, self.consumer, self.claim_idle_ms, start_id="0-0", count=500
        )
        if res and res[1]:
            await self.handle(res[1])

    async def step(self, block_ms: int | None = None) -> int:
        resp: Any = await self.r.xreadgroup(
            GROUP,
            self.consumer,
            {self.k.inbox: ">"},
            count=self.ctx.settings.ingest.batch_max,
            block=block_ms,
        )
        entries = resp[0][1] if resp else []
        if entries:
            await self.handle(entries)
        return len(entries)

    async def handle(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        now = self.clock.now_ms()
        alerts: list[dict[str, Any]] = []
        verifies: list[dict[str, Any]] = []
        keys: list[str] = []
        args: list[Any] = []
        with stage_costs.cpu("correlate_prep"):
            for _id, fields in entries:
                if not fields:  # trimmed away
                    continue
                body = json.loads(fields[b"p"])
                (alerts if fields[b"k"] == b"event" else verifies).append(body)
            if alerts:
                day = day_key(dt.datetime.fromtimestamp(now / 1000, self._tz).date())
                args = self._batch_args(now, day)
                boxed = kept_in_batch(alerts)
                args += [self._alarm_record(a, i in boxed) for i, a in enumerate(alerts)]
                keys = self._batch_keys(day) + [k for a in alerts for k in self._record_keys(a)]
        results: list[Any] = []
        if alerts:
            with stage_costs.wait("redis_correlate"):
                results = await self._alarm_batch(keys=keys, args=args)
            crash_point("after_script")
        outcomes = [(_s(o), _s(no)) for o, no in zip(results[::2], results[1::2], strict=True)]
        # a redelivered alert is a duplicate: finish the follow-up its intent still names
        dups = [a for a, (o, _) in zip(alerts, outcomes, strict=True) if o == "duplicate"]
        with stage_costs.wait("redis_correlate"):
            unfinished = await self._intents(dups)
        with stage_costs.wait("follow_up"):
            for a, (o, no) in zip(alerts, outcomes, strict=True):
                if o == "duplicate":
                    o, no = unfinished.get(_intent_field(a), ("", ""))
                if o in FOLLOW_UP:
                    await self._follow_up(a, o, no, _intent_field(a))
            for v in verifies:
                await self.cases.on_verify_response(v["request_id"], v["result"], v["camera_id"], v)
        crash_point("before_ack")
        with stage_costs.wait("redis_correlate"):
            await self.r.xack(self.k.inbox, GROUP, *[i for i, _ in entries])
        METRICS.correlated.inc(len(alerts))
        wall_ms = time.time() * 1000  # metrics measure real time, whatever the case clock says
        observe = METRICS.alert_age_ms.observe
        for a in alerts:
            observe(max(0.0, wall_ms - a["updated_at_ms"]))

    def _batch_keys(self, day: str) -> list[str]:
        """``ALARM_BATCH``'s first ``BATCH_KEYS`` keys."""
        k = self.k
        return [k.timers, k.alarms, k.vqueue, k.followups, k.case_seq(f"{self.ctx.county}:{day}")]

    def _record_keys(self, a: dict[str, Any]) -> tuple[str, str, str]:
        """The three keys one alert's record touches in ``ALARM_BATCH``."""
        key = alarm_key(a["camera_id"], a["zone_id"], a["category"])
        grid = self.ctx.zones[(a["camera_id"], a["zone_id"])].grid_code or ""
        return self.k.alarm(key), self.k.recent(key), self.k.open_cases(grid, a["category"])

    def _batch_args(self, now: int, day: str) -> list[Any]:
        rules = self.ctx.rules
        return [
            f"{self.ctx.county}{day}{int(Source.VIDEO_AI)}",
            rules.rearm_ms,
            rules.clear_after_ms,
            rules.merge_radius_m,
            now,
        ]

    def _alarm_record(self, a: dict[str, Any], with_boxes: bool) -> str:
        """One alert's ``ALARM_FIELDS`` for the batch script, joined by the unit separator
        (no field can hold it: ids, codes and box class names are pattern-checked, the rest
        are numbers). Its boxes go only if ``with_boxes`` (``hub.store.boxes.kept_in_batch``)."""
        place = self.ctx.zones[(a["camera_id"], a["zone_id"])]
        cat = self.ctx.district.categories[a["category"]]
        at = a["ended_at_ms"] if a["type"] == "end" else a["updated_at_ms"]
        return "\x1f".join(
            (
                alarm_key(a["camera_id"], a["zone_id"], a["category"]),
                a["type"],
                a["event_id"],
                str(a["seq"]),
                str(at),
                repr(a["confidence"]),
                place.grid_code or "",
                a["category"],
                repr(place.lon),
                repr(place.lat),
                route(a["confidence"], cat.auto_file_confidence),
                a.get("snapshot_id") or "",
                a["box_id"],
                encode_boxes(a["boxes"]) if with_boxes else "",
            )
        )

    async def _intents(self, alerts: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
        """The follow-ups still to do for these alerts: intent field → (outcome, case)."""
        if not alerts:
            return {}
        fields = [_intent_field(a) for a in alerts]
        values = await self.r.hmget(self.k.followups, fields)
        out: dict[str, tuple[str, str]] = {}
        for f, v in zip(fields, values, strict=True):
            if v is not None:
                outcome, _, no = _s(v).partition("|")
                out[f] = (outcome, no)
        return out

    async def _follow_up(
        self, a: dict[str, Any], outcome: str, case_no: str, intent: str | None = None
    ) -> None:
        """Do what ``outcome`` asks, skipping what is already done (a redelivery after a
        crash runs this again), then drop ``intent``."""
        key = alarm_key(a["camera_id"], a["zone_id"], a["category"])
        if outcome == "create":
            alarm = await self._alarm_hash(key)
            if await self.cases.create_from_alarm(case_no, alarm, "system:auto"):
                METRICS.cases_created.inc()
        elif outcome == "merge":
            view = await self.cases.store.view(case_no)
            if key not in view.alarms:
                await self.cases.act(
                    case_no, "attach_alarm", "system:auto", data={"alarm_key": key}
                )
        elif outcome == "reopen":
            view = await self.cases.store.view(case_no)
            if not view.is_open:
                view = await self.cases.act(
                    case_no, "reopen", "system:recurrence", reason=f"{key} again"
                )
            if view.state == "reopened":  # reopened, not dispatched yet
                view = await self.cases.act(case_no, "dispatch", "system:recurrence")
            if key not in view.alarms:
                await self.cases.act(
                    case_no, "attach_alarm", "system:auto", data={"alarm_key": key}
                )
        elif outcome == "verify":
            async with self.r.pipeline(transaction=True) as pipe:
                pipe.xadd(
                    self.k.changes,
                    {"kind": "alarm_queued", "alarm_key": key, "event": dumps(a)},
                    maxlen=self.ctx.settings.ingest.changes_max,
                    approximate=True,
                )
                if intent is not None:
                    pipe.hdel(self.k.followups, intent)
                await pipe.execute()
            return
        elif outcome == "overflow":
            log.error("case counter for today is exhausted; alarm %s waits for an operator", key)
        if intent is not None:
            await self.r.hdel(self.k.followups, intent)

    async def _place(self, key: str) -> list[Any]:
        got: list[Any] = await self.r.hmget(self.k.alarm(key), ["grid_code", "category"])
        return got

    async def _alarm_hash(self, key: str) -> dict[str, str]:
        raw = await self.r.hgetall(self.k.alarm(key))
        return {_s(k): _s(v) for k, v in raw.items()}

    async def confirm(self, key: str, actor: str) -> str | None:
        """An operator confirms a queued alarm: it joins a nearby case or files a new one."""
        now = self.clock.now_ms()
        day = day_key(dt.datetime.fromtimestamp(now / 1000, self._tz).date())
        k = self.k
        for _ in range(3):
            # the open-case index to declare is the alarm's grid and category: read them
            # first; the script refuses ('moved') if the alarm changed in between
            grid, cat = (_s(x) if x is not None else "" for x in await self._place(key))
            outcome, no = await self._file(
                keys=[
                    k.vqueue,
                    k.alarm(key),
                    k.recent(key),
                    k.open_cases(grid, cat),
                    k.case_seq(f"{self.ctx.county}:{day}"),
                ],
                args=[
                    key,
                    self.ctx.rules.merge_radius_m,
                    f"{self.ctx.county}{day}{int(Source.VIDEO_AI)}",
                    grid,
                    cat,
                ],
            )
            outcome, no = _s(outcome), _s(no)
            if outcome != "moved":
                break
        else:
            raise RuntimeError(f"alarm {key} kept changing place while it was being filed")
        if outcome == "not_queued":
            return None
        if outcome == "create":
            await self.cases.create_from_alarm(no, await self._alarm_hash(key), actor)
        else:
            await self._follow_up(
                {
                    "camera_id": key.split(":")[0],
                    "zone_id": key.split(":")[1],
                    "category": key.split(":")[2],
                },
                outcome,
                no,
            )
        return no


def _intent_field(a: dict[str, Any]) -> str:
    """The field of an alert's intent in ``{p}:followups`` (as the batch script writes it)."""
    return f"{alarm_key(a['camera_id'], a['zone_id'], a['category'])}|{a['event_id']}|{a['seq']}"


def _s(x: Any) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)

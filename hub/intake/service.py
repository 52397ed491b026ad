"""One door in: every source files a case through ``IntakeService.file``.

A report (``hub.intake.rules.Report``), already checked, goes through one atomic step
(``hub.intake.script.INTAKE_FILE``): the same source's reference again is the same report; an
open case of the same grid and category within the merge radius takes it as one more source
(``attach_report``); otherwise a new case with the source's digit in its number. A new case
starts with the events ``rules.first_actions`` names: triage for citizens, a closed case for
a fix on the spot, dispatch by the routing table otherwise. Its owning department's queue, the
triage queue and the source's list of cases are written in the same step as its events.

Every step may be repeated after a crash: the reference says which case the report went
into, creating a case is compare-and-set, and a merge is appended only if the case does not
hold the reference yet.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.case_number import day_key
from hub.domain.case_state import CaseEvent, CaseView, fold, next_event
from hub.intake.exif import read_exif
from hub.intake.rules import IntakeRejected, Report, first_actions
from hub.intake.script import INTAKE_FILE
from hub.push.photos import Photo
from hub.runtime import HubRuntime
from hub.services.case_people import policy_with_urgency
from hub.services.cases import due_fields
from hub.store.cases import Effects

MEDIA_TTL_S = 180 * 24 * 3600


class Replayed(IntakeRejected):
    """A citizen form sent again: refused, and nothing stored."""


@dataclass(frozen=True)
class Filed:
    case_no: str
    outcome: str
    """``created``, ``merged`` (one more source on an open case) or ``duplicate``."""
    state: str
    sources: tuple[str, ...]


class IntakeService:
    def __init__(self, rt: HubRuntime) -> None:
        self.rt = rt
        self._file = rt.redis.register_script(INTAKE_FILE)
        self._tz = ZoneInfo(rt.ctx.calendar.timezone)

    def sources_key(self, source: str) -> str:
        """Hash of the cases a source filed or joined: case number → its reference."""
        return f"{self.rt.keys.prefix}:intake:cases:{source}"

    async def file(
        self, report: Report, photos: list[Photo], after: list[Photo] | None = None
    ) -> Filed:
        rt = self.rt
        now = rt.clock.now_ms()
        day = day_key(dt.datetime.fromtimestamp(now / 1000, self._tz).date())
        outcome, no = await self._file(
            keys=[
                rt.keys.intake_ref(report.source, report.ref),
                rt.keys.open_cases(report.grid_code, report.category),
                rt.keys.case_seq(f"{rt.ctx.county}:{day}"),
            ],
            args=[
                repr(report.lon),
                repr(report.lat),
                rt.ctx.rules.merge_radius_m,
                f"{rt.ctx.county}{day}{int(report.digit)}",
                "0" if report.triage or report.on_the_spot else "1",
                rt.settings.intake.ref_days * 86_400,
            ],
        )
        outcome, no = _s(outcome), _s(no)
        if outcome == "overflow":
            raise IntakeRejected("today's case numbers are used up (99,999)", 503)
        view = await rt.store.view(no)
        if outcome == "duplicate":
            if view.events and _holds(view, await rt.store.events(no), report):
                if report.source == "public":
                    raise Replayed(f"this form was sent already (case {no})", 409)
                return Filed(no, "duplicate", view.state, view.sources)
            outcome = "create" if not view.events else "merge"  # finish a crashed attempt
        media = await self._store_media(no, photos, "before")
        after_media = await self._store_media(no, after or [], "after")
        if outcome == "create":
            view = await self._create(no, report, media, after_media, now)
            return Filed(no, "created", view.state, view.sources)
        data = self._report_data(report, media) | {"after_media": after_media}
        view = await rt.cases.act(
            no,
            "attach_report",
            report.actor,
            reason=f"{report.source} report {report.ref}",
            note=report.note,
            data=data,
            effects=[["HSET", self.sources_key(report.source), no, report.ref]],
        )
        return Filed(no, "merged", view.state, view.sources)

    def _report_data(self, report: Report, media: list[dict[str, Any]]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": report.source,
            "ref": report.ref,
            "lon": report.lon,
            "lat": report.lat,
            "media": media,
        }
        if report.note:
            data["note"] = report.note
        if report.reporter:
            data["reporter"] = report.reporter
        if report.on_the_spot:
            data["on_the_spot"] = True
        return data | report.facts

    async def _create(
        self,
        no: str,
        report: Report,
        media: list[dict[str, Any]],
        after_media: list[dict[str, Any]],
        now: int,
    ) -> CaseView:
        rt, ctx = self.rt, self.rt.ctx
        grid, cat = report.grid_code, report.category
        urgency = ctx.district.categories[cat].urgency
        policy = policy_with_urgency(ctx, ctx.policy_for(grid, cat), cat, urgency)
        owner = ctx.owners.owner_of(cat)
        facts = self._report_data(report, media) | {
            "case_no": no,
            "grid_code": grid,
            "category": cat,
            "urgency": urgency,
            "department": owner.department,
            "platform": owner.platform,
            "policy": policy.to_dict(),
        }
        dispatch = rt.cases.dispatch_data(grid, cat, policy, 0, now, now, owner.department)
        if report.on_the_spot:
            dispatch["assignees"] = [report.reporter]
            dispatch.pop("joint", None)
        steps: dict[str, tuple[str, dict[str, Any], str | None]] = {
            "report": (report.actor, facts, None),
            "file": (report.actor, {}, None),
            "dispatch": ("system", dispatch, None),
            "accept": (report.actor, {}, "fixed on the spot (随手办)"),
            "resolve": (report.actor, {"media": after_media}, "fixed on the spot (随手办)"),
            "verify": (report.actor, {}, "fixed on the spot: the after-photo shows it"),
            "close": ("system", {}, "fixed on the spot (随手办)"),
        }
        events: list[CaseEvent] = []
        view = CaseView()
        for action in first_actions(report):
            actor, data, reason = steps[action]
            events.append(
                next_event(view, action, actor=actor, at_ms=now, reason=reason, data=data)
            )
            view = fold(events)
        fields = {
            "case_no": no,
            "grid_code": grid,
            "category": cat,
            "created_ms": now,
            "urgency": urgency,
            "source": report.source,
            "department": owner.department,
            "platform": owner.platform,
            "assignees": " ".join(view.assignees),
            "people": " ".join(view.people),
        } | due_fields(view)
        if "external_ref" in report.facts:
            fields["external_ref"] = str(report.facts["external_ref"])
        effects: Effects = [["HSET", self.sources_key(report.source), no, report.ref]]
        if report.triage:
            effects.append(["ZADD", rt.keys.triage, str(now), no])
        elif view.is_open:
            effects += rt.cases.step_timer(no, policy, 0, now)
            effects.append(["ZADD", rt.keys.department_queue(owner.department), str(now), no])
        await rt.store.create(no, events, fields, now, effects)
        return await rt.store.view(no)

    async def _store_media(self, no: str, photos: list[Photo], kind: str) -> list[dict[str, Any]]:
        out = []
        for ph in photos:
            mid = f"m-{secrets.token_hex(10)}"
            key = f"{self.rt.keys.prefix}:media:{mid}"
            async with self.rt.redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping={"type": ph.content_type, "data": ph.data, "case_no": no})
                pipe.expire(key, MEDIA_TTL_S)
                await pipe.execute()
            entry: dict[str, Any] = {"media_id": mid, "kind": kind, "type": ph.content_type}
            if ph.content_type == "image/jpeg":
                entry |= read_exif(ph.data).to_dict()
            out.append(entry)
        return out

    async def file_from_triage(self, no: str, actor: str, reason: str | None) -> CaseView:
        """An operator takes a citizen's report: filed, into the open-case index, dispatched;
        or, when an open case of the same grid and category lies within the merge radius
        (another report of the same problem filed meanwhile), merged into that case as one
        more source."""
        view = await self.rt.store.view(no)
        if not view.events:
            raise KeyError(no)
        grid, cat = str(view.facts["grid_code"]), str(view.facts["category"])
        lon, lat = str(float(view.facts["lon"])), str(float(view.facts["lat"]))
        near: Any = await self.rt.redis.geosearch(
            self.rt.keys.open_cases(grid, cat),
            longitude=float(lon),
            latitude=float(lat),
            radius=self.rt.ctx.rules.merge_radius_m,
            unit="m",
            sort="ASC",
            count=1,
        )
        if near:
            return await self._merge_triaged(no, view, _s(near[0]), actor)
        dep = str(view.facts.get("department") or "")
        join: Effects = [
            ["ZREM", self.rt.keys.triage, no],
            ["GEOADD", self.rt.keys.open_cases(grid, cat), lon, lat, no],
        ]
        if dep:
            join.append(
                ["ZADD", self.rt.keys.department_queue(dep), str(self.rt.clock.now_ms()), no]
            )
        await self.rt.cases.act(no, "file", actor, reason=reason, effects=join)
        return await self.rt.cases.act(no, "dispatch", actor)

    async def _merge_triaged(self, no: str, view: CaseView, into: str, actor: str) -> CaseView:
        f = view.facts
        keep = ("source", "ref", "lon", "lat", "media", "note", "phone", "place")
        await self.rt.cases.act(
            into,
            "attach_report",
            actor,
            reason=f"citizen report {no} of the same problem",
            data={k: f[k] for k in keep if k in f} | {"case_no": no},
            effects=[["HSET", self.sources_key("public"), into, str(f.get("ref", ""))]],
        )
        return await self.rt.cases.act(
            no,
            "merge",
            actor,
            reason=f"the same problem as case {into}",
            data={"into": into},
            fields={"merged_into": into},
        )


def _holds(view: CaseView, events: list[CaseEvent], report: Report) -> bool:
    """Whether the case already carries this source's report with this reference."""
    mine = (report.source, report.ref)
    if (view.facts.get("source"), view.facts.get("ref")) == mine:
        return True
    return any(
        e.action == "attach_report" and (e.data.get("source"), e.data.get("ref")) == mine
        for e in events
    )


def _s(x: Any) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)

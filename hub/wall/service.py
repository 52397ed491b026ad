"""The wall's operations: alarms in, operator actions, layouts, scenes and tours.

Thin glue between the pure rule (``hub.domain.wall_rules``) and the Redis store. Alarms
are global: a new alarm is placed on every wall by the rule, and acknowledging,
rejecting or confirming it is seen by every wall.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from contracts.messages import AlertEvent
from hub.district.load import District
from hub.domain import wall_rules as rules
from hub.domain.case_number import Source, format_case_number
from hub.domain.clock import Clock
from hub.wall.alarm_view import SEVERITY, UnknownPlace, alarm_detail, merge_update
from hub.wall.codec import (
    ConfirmBody,
    RejectBody,
    SceneBody,
    TourBody,
    WallSpec,
    layouts_json,
    scene_monitors,
    state_to_json,
)
from hub.wall.hub_link import CaseDesk
from hub.wall.store import WallStore

log = logging.getLogger(__name__)


class WallNotFound(KeyError):
    pass


class WallService:
    def __init__(
        self, store: WallStore, district: District, clock: Clock, desk: CaseDesk | None = None
    ) -> None:
        self.desk = desk
        self.store = store
        self.district = district
        self.clock = clock
        self.tz = ZoneInfo(district.calendar.timezone)

    # walls -----------------------------------------------------------------------------
    async def define_wall(self, name: str, spec: WallSpec) -> dict[str, Any]:
        state = rules.WallState.new(spec.rows, spec.cols, spec.layout, spec.alarm_monitors)
        for alarm_id in await self.store.active_alarm_ids():
            detail = await self.store.alarm(alarm_id)
            if detail:
                state, _ = rules.place_alarm(state, _queued(detail))
        await self.store.define(name, spec, state)
        await self.store.publish({"wall": name, "kind": "state", "version": state.version})
        return await self.payload(name)

    async def payload(self, wall: str) -> dict[str, Any]:
        """Everything a monitor needs to draw the wall; a reloaded window starts from this."""
        spec = await self.store.spec(wall)
        state = await self.store.state(wall)
        if spec is None or state is None:
            raise WallNotFound(wall)
        ids = {
            t.alarm_id for m in state.monitors for t in m.tiles if isinstance(t, rules.AlarmTile)
        }
        ids |= {q.alarm_id for q in state.queue}
        return {
            "wall": wall,
            "spec": spec.model_dump(),
            "state": state_to_json(state),
            "alarms": await self.store.alarms(sorted(ids)),
            "cameras": await self.cameras(),
            "tour": await self.store.tour(wall),
            "layouts": layouts_json(),
            "now_ms": self.clock.now_ms(),
        }

    async def cameras(self) -> dict[str, dict[str, Any]]:
        boxes = await self.store.boxes()
        out = {}
        for cam in self.district.cameras.values():
            z = cam.zones[0].target
            out[cam.camera_id] = {
                "name": cam.name,
                "box_id": cam.box_id,
                "grid_code": self.district.grid_index.locate(z.lon, z.lat),
                "lon": cam.mount.lon,
                "lat": cam.mount.lat,
                "online": boxes.get(cam.box_id) != "offline",
            }
        return out

    async def _each_wall(self, change: Any) -> None:
        for wall in await self.store.walls():
            await self.store.update(wall, change)

    # alarms from the edge --------------------------------------------------------------
    async def on_alert(self, event: AlertEvent) -> dict[str, Any] | None:
        try:
            detail = alarm_detail(self.district, event)
        except UnknownPlace as exc:
            log.warning("alert %s parked: %s", event.event_id, exc)
            return None
        old = await self.store.alarm(detail["alarm_id"])
        if old is not None:
            detail = merge_update(old, detail)
        elif event.type == "end":
            return None  # an end for an alarm the wall never had (or already cleared)
        await self.store.put_alarm(detail)
        queued = _queued(detail)
        await self._each_wall(lambda s: rules.place_alarm(s, queued)[0])
        if old is not None:  # same tiles, new details: tell the monitors anyway
            await self.store.publish({"wall": "*", "kind": "alarm", "alarm_id": detail["alarm_id"]})
        return detail

    async def on_availability(self, box_id: str, state: str) -> None:
        await self.store.set_box(box_id, state)
        await self.store.publish({"wall": "*", "kind": "cameras"})

    # operator actions ------------------------------------------------------------------
    async def acknowledge(self, alarm_id: str) -> None:
        """Take the alarm off every wall; a filed case lives on in the case list."""
        await self._each_wall(lambda s: rules.revert_alarm(s, alarm_id)[0])
        await self.store.drop_alarm(alarm_id)

    async def confirm(self, alarm_id: str, body: ConfirmBody) -> dict[str, Any]:
        detail = await self._alarm(alarm_id)
        if detail["status"] != "verifying":
            raise ValueError(f"alarm {alarm_id!r} is already {detail['status']}")
        category = body.category or detail["category"]
        cat = self.district.categories.get(category)
        if cat is None:
            raise ValueError(f"category {category!r} is not in the district")
        urgency = body.urgency or cat.urgency
        if self.desk is not None:
            case_no = await self.desk.confirm(alarm_id, body.actor)
            if case_no is None:
                raise ValueError(
                    f"alarm {alarm_id!r} is not waiting in the hub's verification queue "
                    "(filed automatically, or cleared)"
                )
        else:
            today = dt.datetime.fromtimestamp(self.clock.now_ms() / 1000, self.tz).date()
            seq = await self.store.next_case_sequence(self.district.county.code, f"{today:%Y%m%d}")
            case_no = format_case_number(self.district.county.code, today, Source.VIDEO_AI, seq)
        detail.update(
            status="filed",
            case_no=case_no,
            category=category,
            category_zh=cat.name_zh,
            category_en=cat.name_en,
            urgency=urgency,
            severity=SEVERITY[urgency],
            confirmed_by=body.actor,
            confirmed_ms=self.clock.now_ms(),
        )
        await self.store.put_alarm(detail)
        queued = _queued(detail)
        await self._each_wall(lambda s: rules.place_alarm(s, queued)[0])
        await self.store.publish({"wall": "*", "kind": "case", "alarm": detail})
        return detail

    async def reject(self, alarm_id: str, body: RejectBody) -> dict[str, Any]:
        detail = await self._alarm(alarm_id)
        if detail["status"] != "verifying":
            raise ValueError(f"alarm {alarm_id!r} is already {detail['status']}: not rejectable")
        record = {**detail, "reason": body.reason, "rejected_by": body.actor}
        record["rejected_ms"] = self.clock.now_ms()
        if self.desk is not None:
            record["hub_cleared"] = await self.desk.reject(alarm_id, body.actor, body.reason)
        feedback_id = await self.store.add_feedback(record)
        await self.acknowledge(alarm_id)
        return {"alarm_id": alarm_id, "feedback_id": feedback_id}

    async def verification_queue(self) -> list[dict[str, Any]]:
        alarms = await self.store.alarms(await self.store.active_alarm_ids())
        return sorted(alarms.values(), key=lambda a: (-a["severity"], a["started_ms"]))

    async def _alarm(self, alarm_id: str) -> dict[str, Any]:
        detail = await self.store.alarm(alarm_id)
        if detail is None:
            raise KeyError(alarm_id)
        return detail

    # layouts, tiles, scenes, tours -----------------------------------------------------
    async def set_layout(self, wall: str, monitor: int, layout: str) -> None:
        rules.layout_named(layout)
        await self._update(wall, lambda s: rules.set_layout(s, monitor, layout))

    async def assign(self, wall: str, monitor: int, slot: int, camera_id: str | None) -> None:
        if camera_id is not None and camera_id not in self.district.cameras:
            raise ValueError(f"camera {camera_id!r} is not in the district")
        now = self.clock.now_ms()
        await self._update(wall, lambda s: rules.assign_camera(s, (monitor, slot), camera_id, now))

    async def save_scene(self, name: str, body: SceneBody) -> None:
        for m in body.monitors:
            rules.layout_named(m.layout)
        await self.store.put_named("scenes", name, body.model_dump())

    async def apply_scene(self, wall: str, name: str) -> None:
        scenes = await self.store.named("scenes")
        if name not in scenes:
            raise KeyError(name)
        mons = scene_monitors(SceneBody.model_validate(scenes[name]))
        now = self.clock.now_ms()
        await self._update(wall, lambda s: rules.apply_scene(s, name, mons, now))

    async def save_tour(self, name: str, body: TourBody) -> None:
        known = await self.store.named("scenes")
        missing = [s for s in body.scenes if s not in known]
        if missing:
            raise ValueError(f"tour {name!r} names unknown scene {missing[0]!r}")
        await self.store.put_named("tours", name, body.model_dump())

    async def start_tour(self, wall: str, name: str | None) -> None:
        if name is not None and name not in await self.store.named("tours"):
            raise KeyError(name)
        tour = None if name is None else {"name": name, "started_ms": self.clock.now_ms()}
        await self.store.set_tour(wall, tour)
        await self.tick_tours()
        await self.store.publish({"wall": wall, "kind": "tour"})

    async def tick_tours(self) -> None:
        """Show each touring wall the scene its tour is at now (called every second)."""
        tours = await self.store.named("tours")
        for wall in await self.store.walls():
            running = await self.store.tour(wall)
            if not running or running["name"] not in tours:
                continue
            t = tours[running["name"]]
            i = rules.tour_position(
                t["period_s"], len(t["scenes"]), running["started_ms"], self.clock.now_ms()
            )
            state = await self.store.state(wall)
            if state is not None and state.scene != t["scenes"][i]:
                await self.apply_scene(wall, t["scenes"][i])

    async def _update(self, wall: str, change: Any) -> None:
        try:
            await self.store.update(wall, change)
        except KeyError:
            raise WallNotFound(wall) from None


def _queued(detail: dict[str, Any]) -> rules.QueuedAlarm:
    return rules.QueuedAlarm(
        detail["alarm_id"], detail["camera_id"], int(detail["severity"]), int(detail["started_ms"])
    )

"""The wall's state: walls, what a monitor draws, layouts, scenes and tours.

Thin glue between the pure rule (``hub.domain.wall_rules``) and the Redis store. Alarms
come in through ``hub.wall.alarm_desk``: each is placed by the rule on every wall whose
area it lies in (a wall without an area is the county's; ``hub.wall.area``). A camera is offline while the fleet service holds an alarm for it or its box,
and ``not_started`` while the hub has never heard from its box (no heartbeat or
availability since the hub's records began): a box not installed or not started yet, which
is not a fault and raises no fleet alarm.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from hub.district.load import District
from hub.domain import wall_rules as rules
from hub.domain.area import Area
from hub.domain.clock import Clock
from hub.wall.area import WallAreas
from hub.wall.codec import (
    SceneBody,
    TourBody,
    WallSpec,
    layouts_json,
    scene_monitors,
    state_to_json,
)
from hub.wall.store import WallStore

log = logging.getLogger(__name__)


class WallNotFound(KeyError):
    pass


class WallService:
    def __init__(
        self,
        store: WallStore,
        district: District,
        clock: Clock,
        fleet_key: str,
        heard_key: str | None = None,
    ) -> None:
        self.store = store
        self.district = district
        self.clock = clock
        self.fleet_key = fleet_key  # the fleet service's hash of active alarms
        self.heard_key = heard_key  # the hub's set of boxes it has heard from (ingest adds)
        self._heard_count: int | None = None
        self.areas = WallAreas(district)

    # walls -----------------------------------------------------------------------------
    async def define_wall(self, name: str, spec: WallSpec) -> dict[str, Any]:
        area = self.areas.parse(spec.area)
        state = rules.WallState.new(spec.rows, spec.cols, spec.layout, spec.alarm_monitors)
        for alarm_id in await self.store.active_alarm_ids():
            detail = await self.store.alarm(alarm_id)
            if detail and self.areas.shows(area, detail.get("grid_code")):
                state, _ = rules.place_alarm(state, queued(detail))
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
        area = self.areas.parse(spec.area)
        return {
            "wall": wall,
            "spec": spec.model_dump(),
            "state": state_to_json(state),
            "alarms": await self.store.alarms(sorted(ids)),
            "cameras": await self.cameras(area),
            "fleet": await self.fleet_alarms(area),
            "tour": await self.store.tour(wall),
            "layouts": layouts_json(),
            "now_ms": self.clock.now_ms(),
        }

    async def wall_area(self, wall: str) -> Area | None:
        """The area of a wall (None: the county's, or no such wall)."""
        spec = await self.store.spec(wall)
        return self.areas.parse(spec.area) if spec is not None else None

    def shows_fleet(self, area: Area | None, a: dict[str, Any]) -> bool:
        if a.get("camera_id"):
            return self.areas.shows_camera(area, a["camera_id"])
        return self.areas.shows_box(area, a.get("box_id"))

    async def fleet_alarms(self, area: Area | None = None) -> list[dict[str, Any]]:
        """Active box- and camera-offline alarms of the fleet service, oldest first (of
        ``area``'s cameras and their boxes only, when given)."""
        raw = await self.store.redis.hvals(self.fleet_key)
        out = sorted((json.loads(x) for x in raw), key=lambda a: (a["at_ms"], a["key"]))
        out = [a for a in out if self.shows_fleet(area, a)]
        for a in out:
            cam = self.district.cameras.get(a.get("camera_id") or "")
            a["camera_name"] = cam.name if cam else None
        return out

    async def heard_boxes(self) -> set[str] | None:
        """Boxes the hub has heard from; None where this wall was not told where to look."""
        if self.heard_key is None:
            return None
        return {_text(b) for b in await self.store.redis.smembers(self.heard_key)}

    async def notice_new_boxes(self) -> bool:
        """Tell every monitor when a box is heard from for the first time (its cameras stop
        being ``not_started``); no fleet alarm marks that moment. Called every second."""
        if self.heard_key is None:
            return False
        count = int(await self.store.redis.scard(self.heard_key))
        changed = self._heard_count is not None and count != self._heard_count
        self._heard_count = count
        if changed:
            await self.store.publish({"wall": "*", "kind": "boxes"})
        return changed

    async def cameras(self, area: Area | None = None) -> dict[str, dict[str, Any]]:
        """The district's cameras with their state (``area``'s only, when given)."""
        down = await self.fleet_alarms()
        boxes_down = {a["box_id"] for a in down if a["key"].startswith("box:")}
        cams_down = {a["camera_id"] for a in down if a.get("camera_id")}
        heard = await self.heard_boxes()
        out = {}
        for cam in self.district.cameras.values():
            if not self.areas.shows_camera(area, cam.camera_id):
                continue
            z = cam.zones[0].target
            online = cam.box_id not in boxes_down and cam.camera_id not in cams_down
            started = heard is None or cam.box_id in heard
            out[cam.camera_id] = {
                "name": cam.name,
                "box_id": cam.box_id,
                "grid_code": self.district.grid_index.locate(z.lon, z.lat),
                "lon": cam.mount.lon,
                "lat": cam.mount.lat,
                "online": online,
                "status": "offline" if not online else "online" if started else "not_started",
            }
        return out

    async def each_wall(
        self, change: Any, grid_code: str | None = None, *, placed: bool = False
    ) -> None:
        """Apply ``change`` to every wall; with ``placed``, only to the walls whose area
        shows a thing of ``grid_code``."""
        for wall in await self.store.walls():
            if placed and not self.areas.shows(await self.wall_area(wall), grid_code):
                continue
            await self.store.update(wall, change)

    # layouts, tiles, scenes, tours -----------------------------------------------------
    async def set_layout(self, wall: str, monitor: int, layout: str) -> None:
        rules.layout_named(layout)
        await self._update(wall, lambda s: rules.set_layout(s, monitor, layout))

    async def assign(self, wall: str, monitor: int, slot: int, camera_id: str | None) -> None:
        if camera_id is not None and camera_id not in self.district.cameras:
            raise ValueError(f"camera {camera_id!r} is not in the district")
        if camera_id is not None and not self.areas.shows_camera(
            area := await self.wall_area(wall), camera_id
        ):
            raise ValueError(f"camera {camera_id!r} looks at no grid of the wall's area {area}")
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


def _text(x: bytes | str) -> str:
    return x.decode() if isinstance(x, bytes) else x


def queued(detail: dict[str, Any]) -> rules.QueuedAlarm:
    return rules.QueuedAlarm(
        detail["alarm_id"], detail["camera_id"], int(detail["severity"]), int(detail["started_ms"])
    )

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
from functools import partial
from typing import Any

from hub.district.load import District
from hub.domain import wall_rules as rules
from hub.domain import wall_storm as storm
from hub.domain.area import Area
from hub.domain.camera_catalogue import CameraQuery, status_of, tour_page, tour_pages
from hub.domain.clock import Clock
from hub.settings import WallSettings
from hub.wall.area import WallAreas
from hub.wall.cameras import CameraCatalogue
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
QUEUE_SHOWN = 12  # queued alarms a monitor gets in full; the rest are counted per grid


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
        policy: storm.StormPolicy | None = None,
    ) -> None:
        self.store = store
        self.district = district
        self.clock = clock
        self.fleet_key = fleet_key  # the fleet service's hash of active alarms
        self.heard_key = heard_key  # the hub's set of boxes it has heard from (ingest adds)
        self._heard_count: int | None = None
        self.areas = WallAreas(district)
        self.catalogue = CameraCatalogue(district, self.areas)
        self.policy = policy or storm.StormPolicy()

    # walls -----------------------------------------------------------------------------
    async def define_wall(self, name: str, spec: WallSpec) -> dict[str, Any]:
        area = self.areas.parse(spec.area)
        state = rules.WallState.new(spec.rows, spec.cols, spec.layout, spec.alarm_monitors)
        now = self.clock.now_ms()
        for alarm_id in await self.store.active_alarm_ids():
            detail = await self.store.alarm(alarm_id)
            if detail and self.areas.shows(area, detail.get("grid_code")):
                state, _ = storm.place(state, queued(detail), now, self.policy)
        await self.store.define(name, spec, state)
        await self.store.publish({"wall": name, "kind": "state", "version": state.version})
        return await self.payload(name)

    async def payload(self, wall: str) -> dict[str, Any]:
        """Everything a monitor needs to draw the wall; a reloaded window starts from this.

        Bounded whatever the county's size: the alarms on tiles and the first
        ``QUEUE_SHOWN`` queued ones in full, the rest of the queue counted per grid, and the
        cameras those name (the picker and the map ask for the others by page and view)."""
        spec = await self.store.spec(wall)
        state = await self.store.state(wall)
        if spec is None or state is None:
            raise WallNotFound(wall)
        tiles = [t for m in state.monitors for t in m.tiles if t is not None]
        shown_queue = state.queue[:QUEUE_SHOWN]
        ids = {t.alarm_id for t in tiles if isinstance(t, rules.AlarmTile)}
        ids |= {q.alarm_id for q in shown_queue}
        cams = {t.camera_id for t in tiles} | {q.camera_id for q in shown_queue}
        cams |= {
            t.displaced.camera_id
            for t in tiles
            if isinstance(t, rules.AlarmTile) and t.displaced is not None
        }
        area = self.areas.parse(spec.area)
        fleet = await self.fleet_alarms(area)
        state_json = state_to_json(state)
        state_json["queue"] = state_json["queue"][:QUEUE_SHOWN]
        state_json.pop("takeovers", None)
        return {
            "wall": wall,
            "spec": spec.model_dump(),
            "state": state_json,
            "alarms": await self.store.alarms(sorted(ids)),
            "queue_total": len(state.queue),
            "queue_by_grid": [
                {"grid_code": g.grid_code, "count": g.count, "severity": g.severity}
                for g in storm.queue_by_grid(state)
            ],
            "cameras": self.catalogue.rows(
                sorted(cams), await self.camera_status(fleet, sorted(cams))
            ),
            "camera_count": len(self.district.cameras),
            "fleet": fleet,
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

    async def camera_status(
        self, fleet: list[dict[str, Any]] | None = None, ids: list[str] | None = None
    ) -> dict[str, str]:
        """The status of ``ids`` (every camera when None): ``online``, ``offline`` (the
        fleet holds an alarm for it or its box) or ``not_started`` (its box never heard
        from). ``fleet``: the fleet alarms if the caller has them (of any area: a box's
        alarm names no camera)."""
        down = await self.fleet_alarms() if fleet is None else fleet
        boxes_down = {a["box_id"] for a in down if a["key"].startswith("box:")}
        cams_down = {a["camera_id"] for a in down if a.get("camera_id")}
        heard = await self.heard_boxes()
        entries = self.catalogue.entries
        wanted = entries if ids is None else [i for i in ids if i in entries]
        return {i: status_of(entries[i], boxes_down, cams_down, heard) for i in wanted}

    async def cameras(
        self, area: Area | None = None, ids: list[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Cameras with their state: ``ids`` (all when None) of ``area`` (all when None)."""
        allowed = self.catalogue.allowed(area)
        wanted = sorted(self.catalogue.entries) if ids is None else ids
        shown = [i for i in wanted if allowed is None or allowed(i)]
        return self.catalogue.rows(shown, await self.camera_status(ids=shown))

    async def place(self, detail: dict[str, Any]) -> None:
        """Put an alarm on every wall whose area shows its grid, by the storm rule."""
        await self.place_many([detail])

    async def place_many(self, details: list[dict[str, Any]]) -> None:
        """Put alarms on every wall whose area shows their grids, in order, by the storm
        rule: one update of each wall for all of them."""
        now = self.clock.now_ms()
        for wall in await self.store.walls():
            area = await self.wall_area(wall)
            qs = [queued(d) for d in details if self.areas.shows(area, d.get("grid_code"))]
            if qs:
                await self.store.update(
                    wall, partial(_place_all, qs=qs, now_ms=now, policy=self.policy)
                )

    async def drain_queues(self) -> None:
        """Queued alarms take tiles as the monitors' takeover budgets come back (every second)."""
        now = self.clock.now_ms()
        for wall in await self.store.walls():
            await self.store.update(wall, lambda s: storm.drain(s, now, self.policy))

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
        if body.cameras is not None:
            self.areas.parse(body.cameras.area)  # an unknown place is a 422 now, not later
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
            if t.get("cameras") is not None:
                await self._camera_tour_step(wall, running, t)
                continue
            i = rules.tour_position(
                t["period_s"], len(t["scenes"]), running["started_ms"], self.clock.now_ms()
            )
            state = await self.store.state(wall)
            if state is not None and state.scene != t["scenes"][i]:
                await self.apply_scene(wall, t["scenes"][i])

    async def _camera_tour_step(
        self, wall: str, running: dict[str, Any], tour: dict[str, Any]
    ) -> None:
        """A camera tour: the cameras a query matches, one wall-full (every video tile, in
        wall order, in each monitor's layout) per period; alarms stay on the wall."""
        state = await self.store.state(wall)
        if state is None:
            return
        want = tour["cameras"]
        query = CameraQuery(q=want.get("q") or "", status=want.get("status"), limit=1)
        area = self.areas.parse(want.get("area"))
        allowed = self.catalogue.allowed(area, await self.wall_area(wall))
        ids = self.catalogue.ids(query, await self.camera_status(), allowed)
        slots = [len(list(rules.video_tiles(state, [m]))) for m in range(len(state.monitors))]
        pages = tour_pages(len(ids), sum(slots))
        i = rules.tour_position(tour["period_s"], pages, running["started_ms"], self.clock.now_ms())
        name = f"{running['name']}:{i + 1}/{pages}"
        if state.scene == name:
            return
        cams = iter(tour_page(ids, sum(slots), i))
        mons = [
            rules.SceneMonitor(m.layout, tuple(next(cams, None) for _ in range(n)))
            for m, n in zip(state.monitors, slots, strict=True)
        ]
        now = self.clock.now_ms()
        await self._update(wall, lambda s: rules.apply_scene(s, name, mons, now))

    async def _update(self, wall: str, change: Any) -> None:
        try:
            await self.store.update(wall, change)
        except KeyError:
            raise WallNotFound(wall) from None


def _text(x: bytes | str) -> str:
    return x.decode() if isinstance(x, bytes) else x


def _place_all(
    state: rules.WallState,
    *,
    qs: list[rules.QueuedAlarm],
    now_ms: int,
    policy: storm.StormPolicy,
) -> rules.WallState:
    for q in qs:
        state, _ = storm.place(state, q, now_ms, policy)
    return state


def storm_policy(settings: WallSettings) -> storm.StormPolicy:
    """The storm rule of the hub's ``wall:`` settings."""
    return storm.StormPolicy(
        settings.takeovers_per_min,
        coalesce_per_grid=settings.coalesce_per_grid,
        urgent_reserve=settings.urgent_reserve,
    )


def queued(detail: dict[str, Any]) -> rules.QueuedAlarm:
    return rules.QueuedAlarm(
        detail["alarm_id"],
        detail["camera_id"],
        int(detail["severity"]),
        int(detail["started_ms"]),
        detail.get("grid_code"),
    )

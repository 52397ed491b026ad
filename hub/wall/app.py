"""The wall inside the hub's app: its routes, its assets, and its running parts.

``attach_wall`` mounts the routes and wraps the app's lifespan: once the hub's runtime is
up, ``wall_parts`` starts the wall's Redis client, the feed that follows the hub's change
stream, the live stream to monitors and the tour ticker, and stops them before the hub.
The wall has no source of its own: alarms and cases are the hub's, camera health the
fleet's, so it always runs in a hub process (several workers share it through Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from hub.domain.area import Area
from hub.domain.clock import Clock
from hub.domain.wall_overview import overview_monitors
from hub.fleet.service import alarms_key
from hub.kpis.live import kpi_body, today
from hub.runtime import HubRuntime
from hub.services.cancellation import raise_if_cancelled, stop_tasks
from hub.settings import HubSettings
from hub.store.redis_client import hub_redis
from hub.wall.alarm_desk import AlarmDesk
from hub.wall.codec import SceneBody, SceneMonitorBody, WallSpec
from hub.wall.hub_feed import HubFeed
from hub.wall.live import LiveHub
from hub.wall.router import build_router, mount_wall
from hub.wall.service import WallService, storm_policy
from hub.wall.store import WallStore

log = logging.getLogger(__name__)
TOUR_TICK_S = 1.0


@dataclass
class WallParts:
    service: WallService
    desk: AlarmDesk
    live: LiveHub
    feed: HubFeed
    rt: HubRuntime


async def _every_second(service: WallService) -> None:
    while True:
        raise_if_cancelled()
        await asyncio.sleep(TOUR_TICK_S)
        try:
            await service.tick_tours()
            await service.notice_new_boxes()
            await service.drain_queues()
        except Exception:  # the outermost loop of a long-running task
            log.exception("wall tick (tours, boxes heard, queued alarms) failed")


DEMO_LAYOUTS = ["map+kpi+6", "9", "1+5", "4"]
DEMO_ALARM_MONITORS = [3]


async def ensure_demo_wall(service: WallService, streamed: Collection[str] = ()) -> None:
    """A 2×2 ``main`` wall: map + cameras on three monitors, alarms on the 4th.

    The cameras the hub has a video source for (``streamed``: the demo configures only the
    boxes it starts) come first, so the first screen shows the ones that run. The
    ``overview`` scene is rebuilt at every start; a wall that already exists is laid out
    again only when that scene changed (other boxes started), so a restart with the same
    boxes keeps the operator's tiles."""
    plan = overview_monitors(
        sorted(service.district.cameras), streamed, DEMO_LAYOUTS, DEMO_ALARM_MONITORS
    )
    scene = SceneBody(monitors=[SceneMonitorBody(layout=lay, cameras=cams) for lay, cams in plan])
    old = (await service.store.named("scenes")).get("overview")
    await service.save_scene("overview", scene)
    if "main" not in await service.store.walls():
        spec = WallSpec(rows=2, cols=2, alarm_monitors=DEMO_ALARM_MONITORS)
        await service.define_wall("main", spec)
    elif old == scene.model_dump():
        return
    await service.apply_scene("main", "overview")


@contextlib.asynccontextmanager
async def wall_parts(
    rt: HubRuntime,
    *,
    demo_wall: bool,
    clock: Clock | None = None,
    streamed: Collection[str] = (),
) -> AsyncIterator[WallParts]:
    """Start the wall's parts on a running hub runtime; stop them after. ``streamed``:
    the cameras the hub's video relay has a source for (the demo wall shows them first)."""
    redis = hub_redis(rt.settings.redis)
    store = WallStore(redis, rt.keys.prefix)
    service = WallService(
        store, rt.district, clock or rt.clock, alarms_key(rt.keys.prefix), rt.keys.edges
    )
    service.policy = storm_policy(rt.settings.wall)
    desk = AlarmDesk(service, rt)
    live = LiveHub(service, kpis=lambda area: wall_kpis(rt, area))
    live.push_interval_s = rt.settings.wall.push_interval_s
    feed = HubFeed(rt, desk, f"{rt.client_id}-wall")
    await feed.ensure_group()  # from here on no change is missed
    await live.start()
    if demo_wall:
        await ensure_demo_wall(service, streamed)
    tasks = [asyncio.create_task(_every_second(service)), asyncio.create_task(feed.run())]
    try:
        yield WallParts(service, desk, live, feed, rt)
    finally:
        await stop_tasks(tasks)
        await live.stop()
        await redis.aclose()


async def wall_kpis(rt: HubRuntime, area: Area | None) -> dict[str, Any]:
    """Today's live KPIs of a wall's area, per street, as the wall's KPI panel draws them."""
    day = today(rt.clock.now_ms(), ZoneInfo(rt.ctx.calendar.timezone))
    return await kpi_body(rt.kpis, day, area, None, "street")


def _streamed(app: FastAPI) -> set[str]:
    """Cameras the hub's video relay has a source for (none where it is not mounted)."""
    video = getattr(app.state, "video", None)
    return set(video.settings.cameras) if video is not None else set()


def attach_wall(
    app: FastAPI,
    settings: HubSettings,
    auth: Callable[..., Any] | None = None,
    clock: Clock | None = None,
) -> None:
    """Mount the wall in the hub's app: its routes, its assets, and its parts in the
    app's lifespan (started after the hub's runtime, stopped before it)."""
    parts: list[WallParts] = []
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        async with (
            inner(a) as state,
            wall_parts(
                a.state.runtime,
                demo_wall=settings.demo_mode,
                clock=clock,
                streamed=_streamed(a),
            ) as p,
        ):
            parts.append(p)
            yield state
            parts.remove(p)

    app.router.lifespan_context = lifespan
    app.state.wall_parts = parts
    mount_wall(app, build_router(lambda: parts[0], auth))

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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from hub.domain.clock import Clock
from hub.fleet.service import alarms_key
from hub.runtime import HubRuntime, hub_redis
from hub.services.cancellation import raise_if_cancelled, stop_tasks
from hub.settings import HubSettings
from hub.wall.alarm_desk import AlarmDesk
from hub.wall.codec import SceneBody, SceneMonitorBody, WallSpec
from hub.wall.hub_feed import HubFeed
from hub.wall.live import LiveHub
from hub.wall.router import build_router, mount_wall
from hub.wall.service import WallService
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


async def _tours(service: WallService) -> None:
    while True:
        raise_if_cancelled()
        await asyncio.sleep(TOUR_TICK_S)
        try:
            await service.tick_tours()
        except Exception:  # the outermost loop of a long-running task
            log.exception("wall tour tick failed")


async def ensure_demo_wall(service: WallService) -> None:
    """A 2×2 ``main`` wall on first start: map + cameras on three monitors, alarms on the 4th."""
    if "main" in await service.store.walls():
        return
    cams = sorted(service.district.cameras)
    await service.define_wall("main", WallSpec(rows=2, cols=2, alarm_monitors=[3]))
    layouts = ["map+kpi+6", "9", "1+5", "4"]
    monitors, i = [], 0
    for m, layout in enumerate(layouts):
        n = {"map+kpi+6": 6, "9": 9, "1+5": 6, "4": 0}[layout] if m < 3 else 0
        monitors.append(SceneMonitorBody(layout=layout, cameras=cams[i : i + n]))
        i += n
    await service.save_scene("overview", SceneBody(monitors=monitors))
    await service.apply_scene("main", "overview")


@contextlib.asynccontextmanager
async def wall_parts(
    rt: HubRuntime, *, demo_wall: bool, clock: Clock | None = None
) -> AsyncIterator[WallParts]:
    """Start the wall's parts on a running hub runtime; stop them after."""
    redis = hub_redis(rt.settings.redis.url)
    store = WallStore(redis, rt.settings.redis.key_prefix)
    service = WallService(store, rt.district, clock or rt.clock, alarms_key(rt.keys.prefix))
    desk = AlarmDesk(service, rt)
    live = LiveHub(service)
    feed = HubFeed(rt, desk, f"{rt.client_id}-wall")
    await feed.ensure_group()  # from here on no change is missed
    await live.start()
    if demo_wall:
        await ensure_demo_wall(service)
    tasks = [asyncio.create_task(_tours(service)), asyncio.create_task(feed.run())]
    try:
        yield WallParts(service, desk, live, feed, rt)
    finally:
        await stop_tasks(tasks)
        await live.stop()
        await redis.aclose()


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
            wall_parts(a.state.runtime, demo_wall=settings.demo_mode, clock=clock) as p,
        ):
            parts.append(p)
            yield state
            parts.remove(p)

    app.router.lifespan_context = lifespan
    app.state.wall_parts = parts
    mount_wall(app, build_router(lambda: parts[0], auth))

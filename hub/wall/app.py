"""The wall as a FastAPI app of its own, until it is mounted in the hub's app factory.

``create_wall_app`` owns the Redis client, the MQTT feed, the live stream and the tour
ticker in its lifespan; ``python -m hub.wall --config configs/hub.yaml`` serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from redis.asyncio import Redis

from hub.district.load import District, load_district
from hub.domain.clock import Clock, SystemClock
from hub.settings import HubSettings
from hub.wall.codec import SceneBody, SceneMonitorBody, WallSpec
from hub.wall.hub_link import CaseDesk, HubCaseDesk
from hub.wall.live import LiveHub
from hub.wall.mqtt_feed import WallFeed
from hub.wall.router import build_router, mount_wall
from hub.wall.service import WallService
from hub.wall.store import WallStore

log = logging.getLogger(__name__)
TOUR_TICK_S = 1.0


@dataclass
class WallParts:
    service: WallService
    live: LiveHub
    feed: WallFeed


async def _tours(service: WallService) -> None:
    while True:
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
    settings: HubSettings,
    district: District,
    clock: Clock | None,
    *,
    demo_wall: bool,
    desk: CaseDesk | None = None,
) -> AsyncIterator[WallParts]:
    """Start the wall's Redis client, MQTT feed, live stream and tour ticker; stop them after."""
    redis = Redis.from_url(settings.redis.url)
    service = WallService(
        WallStore(redis, settings.redis.key_prefix), district, clock or SystemClock(), desk
    )
    live = LiveHub(service)
    feed = WallFeed(settings.mqtt, service)
    await live.start()
    await feed.start()
    if demo_wall:
        await ensure_demo_wall(service)
    ticker = asyncio.create_task(_tours(service))
    try:
        yield WallParts(service, live, feed)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        await feed.stop()
        await live.stop()
        await redis.aclose()


def create_wall_app(
    settings: HubSettings, district: District, clock: Clock | None = None, *, demo_wall: bool = True
) -> FastAPI:
    """The wall alone (tests, or a wall server beside a hub)."""
    parts: list[WallParts] = []

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with wall_parts(settings, district, clock, demo_wall=demo_wall) as p:
            parts.append(p)
            yield

    app = FastAPI(title="Gridwall wall", lifespan=lifespan)
    app.state.wall_parts = parts
    mount_wall(app, build_router(lambda: parts[0].service, lambda: parts[0].live))
    return app


def attach_wall(
    app: FastAPI,
    settings: HubSettings,
    auth: Callable[..., Any] | None = None,
    clock: Clock | None = None,
) -> None:
    """Mount the wall in the hub's app: its routes, its assets, and its parts in the
    app's lifespan (started after the hub's own, stopped before)."""
    district = load_district(settings.district_dir)
    parts: list[WallParts] = []
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        async with (
            inner(a) as state,
            wall_parts(
                settings, district, clock, demo_wall=settings.demo_mode, desk=HubCaseDesk(a)
            ) as p,
        ):
            parts.append(p)
            yield state
            parts.remove(p)

    app.router.lifespan_context = lifespan
    app.state.wall_parts = parts
    mount_wall(app, build_router(lambda: parts[0].service, lambda: parts[0].live, auth))

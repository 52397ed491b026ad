"""How the hub app takes the video relay in: mount the router, own the registry's lifetime.

Settings come from the YAML file named by ``GRIDWALL_VIDEO_CONFIG`` (its ``video:`` section);
without it the router is mounted with no cameras. The token presented to edge boxes comes
from the variable named by ``edge_token_env``, required once a camera pulls from a box.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from hub.services.cancellation import stop_tasks
from hub.video.case_clips import CaseClipper, case_clip_router
from hub.video.recording_release import RecordingRelease
from hub.video.recordings import recordings_router
from hub.video.registry import VideoRegistry
from hub.video.routes import video_router
from hub.video.settings import VideoSettings, load_video_settings, token_from_env

if TYPE_CHECKING:
    from hub.clipfetch.fetcher import ClipFetcher

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def registry_from_env(env: dict[str, str] | None = None) -> VideoRegistry:
    env = dict(os.environ) if env is None else env
    path = env.get("GRIDWALL_VIDEO_CONFIG")
    settings = load_video_settings(Path(path)) if path else VideoSettings()
    pulls_boxes = any(c.url.startswith("http") for c in settings.cameras.values())
    edge_token = token_from_env(settings.edge_token_env, env) if pulls_boxes else ""
    return VideoRegistry(settings, edge_token=edge_token, env=env)


def mount_video(
    app: FastAPI,
    auth: Callable[..., Any],
    *,
    camera_scope: Callable[..., Any] | None = None,
    case_scope: Callable[..., Any] | None = None,
    staff_scope: Callable[..., Any] | None = None,
) -> VideoRegistry:
    """Mount ``/video`` with the hub's own auth dependency and scope checks (who may watch
    which camera, see which case's clip, list every camera); the registry goes on
    app.state."""
    registry = registry_from_env()
    app.include_router(
        video_router(registry, auth, camera_scope=camera_scope, staff_scope=staff_scope)
    )
    app.include_router(case_clip_router(auth, case_scope))
    app.include_router(recordings_router(registry, auth, camera_scope=camera_scope))
    app.state.video = registry
    return registry


def _start_clipper(
    app: FastAPI, registry: VideoRegistry
) -> tuple[CaseClipper | None, asyncio.Task[None] | None]:
    """Keep a clip with every camera case, once the hub runtime (Redis) is up."""
    rt = getattr(app.state, "runtime", None)
    pre = registry.settings.prebuffer_rendition
    if rt is None or pre is None or not registry.settings.cameras:
        return None, None
    after_s = 2.0
    before_s = max(1.0, registry.settings.prebuffer_s - after_s)
    clipper = CaseClipper(registry, rt.redis, rt.keys.prefix, before_s=before_s, after_s=after_s)
    app.state.case_clipper = clipper
    return clipper, asyncio.create_task(clipper.run())


def _start_release(
    app: FastAPI, registry: VideoRegistry
) -> tuple[RecordingRelease | None, asyncio.Task[None] | None]:
    """Tell boxes when their cameras' cases close (their recorded clips' keep period)."""
    rt = getattr(app.state, "runtime", None)
    boxes = any(c.url.startswith("http") for c in registry.settings.cameras.values())
    if rt is None or not boxes:
        return None, None
    release = RecordingRelease(registry, rt.redis, rt.keys)
    app.state.recording_release = release
    return release, asyncio.create_task(release.run())


def _start_clip_fetch(
    app: FastAPI, registry: VideoRegistry
) -> tuple[ClipFetcher | None, asyncio.Task[None] | None]:
    """Fetch closed camera cases' clips from their boxes into the evidence store, while
    records are on (``hub/clipfetch``); a case of a camera no box records is skipped."""
    rt = getattr(app.state, "runtime", None)
    records = getattr(rt, "records", None)
    if rt is None or records is None:
        return None, None
    from hub.clipfetch.fetcher import ClipFetcher  # SQLAlchemy: only with records on

    def box_of(camera_id: str) -> str | None:
        cam = registry.settings.cameras.get(camera_id)
        return cam.url if cam and cam.url.startswith(("http://", "https://")) else None

    fetcher = ClipFetcher(
        rt.redis,
        rt.keys,
        records.engine,
        records.store,
        box_of,
        registry.edge_token,
        rt.settings.records,
    )
    app.state.clip_fetcher = fetcher
    return fetcher, asyncio.create_task(fetcher.run())


def with_video(lifespan: Lifespan) -> Lifespan:
    """Wrap the app's lifespan so the video registry starts before it and stops after it."""

    @asynccontextmanager
    async def wrapped(app: FastAPI) -> AsyncIterator[None]:
        registry: VideoRegistry = app.state.video
        await registry.start()
        try:
            async with lifespan(app):
                clipper, task = _start_clipper(app, registry)
                release, release_task = _start_release(app, registry)
                _fetcher, fetch_task = _start_clip_fetch(app, registry)
                try:
                    yield
                finally:
                    if fetch_task is not None:
                        await stop_tasks([fetch_task])
                    try:
                        if release_task is not None and release is not None:
                            try:
                                await stop_tasks([release_task])
                            finally:
                                await release.stop()
                    finally:
                        if task is not None and clipper is not None:
                            try:
                                await stop_tasks([task])  # a crash of the clipper shows here
                            finally:
                                await clipper.stop()
        finally:
            await registry.stop()

    return wrapped

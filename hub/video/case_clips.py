"""Clips attached to cases: the seconds before and after a camera alarm, kept with the case.

The pre-event ring holds only the last few seconds, so a clip must be cut while the alarm is
fresh. ``CaseClipper`` follows the hub's change stream; when a case is reported from a camera
alarm it waits ``after_s``, cuts the ring's packets from ``before_s`` before the report to
``after_s`` after it (no re-encode), and stores the clip in Redis beside the case for
``ttl_s``. ``GET /video/cases/{case_no}/clip`` serves it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from hub.services.cancellation import raise_if_cancelled
from hub.video.media import CLIP_FORMATS, MediaError, mux_clip
from hub.video.registry import VideoRegistry

log = logging.getLogger(__name__)


def clip_key(prefix: str, case_no: str) -> str:
    return f"{prefix}:case:{case_no}:clip"


def camera_report(fields: dict[bytes, bytes]) -> tuple[str, str, int] | None:
    """``(case_no, camera_id, at_ms)`` when a change entry is a case reported from a camera."""
    if fields.get(b"kind") != b"case":
        return None
    try:
        event = json.loads(fields[b"event"])
        if event.get("action") != "report":
            return None
        camera = event.get("data", {}).get("camera_id")
        if not isinstance(camera, str) or not camera:
            return None
        return fields[b"case_no"].decode(), camera, int(event["at_ms"])
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


class CaseClipper:
    def __init__(
        self,
        registry: VideoRegistry,
        redis: Redis,
        key_prefix: str,
        *,
        before_s: float = 8.0,
        after_s: float = 2.0,
        ttl_s: int = 30 * 86_400,
    ) -> None:
        self.registry, self.redis, self.prefix = registry, redis, key_prefix
        self.before_ms, self.after_s, self.ttl_s = int(before_s * 1000), after_s, ttl_s
        self.saved = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, start_id: str = "$") -> None:
        """Follow the change stream from ``start_id`` until cancelled."""
        cursor = start_id
        changes = f"{self.prefix}:changes"
        while True:
            raise_if_cancelled()
            try:
                resp: Any = await self.redis.xread({changes: cursor}, count=200, block=1000)
            except RedisError as exc:
                log.warning("case clips: reading the change stream failed: %s", exc)
                await asyncio.sleep(1.0)
                continue
            for _stream, entries in resp or []:
                for entry_id, fields in entries:
                    cursor = entry_id
                    found = camera_report(fields)
                    if found is not None and found[1] in self.registry.rings:
                        task = asyncio.create_task(self._cut(*found))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)

    async def _cut(self, case_no: str, camera_id: str, at_ms: int) -> None:
        await asyncio.sleep(self.after_s)
        ring = self.registry.rings.get(camera_id)
        rendition = self.registry.settings.prebuffer_rendition
        if ring is None or rendition is None:
            return
        info = self.registry.relay(camera_id, rendition).info
        packets = ring.window(at_ms - self.before_ms, at_ms + int(self.after_s * 1000))
        if info is None or not packets:
            log.warning("case %s: no video of %s buffered for its clip", case_no, camera_id)
            return
        try:
            data = await asyncio.to_thread(mux_clip, info.codec, info.resolution_wh, packets)
        except MediaError as exc:
            log.warning("case %s: clip of %s failed: %s", case_no, camera_id, exc)
            return
        _, media_type, _ = CLIP_FORMATS[info.codec]
        key = clip_key(self.prefix, case_no)
        mapping: dict[FieldT, EncodableT] = {
            "data": data,
            "media_type": media_type,
            "camera_id": camera_id,
            "first_ms": packets[0].captured_ms,
            "last_ms": packets[-1].captured_ms,
            "alarm_ms": at_ms,
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, self.ttl_s)
            await pipe.execute()
        self.saved += 1

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def case_clip_router(
    auth: Callable[..., Any], case_scope: Callable[..., Any] | None = None
) -> APIRouter:
    """``case_scope`` (a dependency taking the ``case_no`` path parameter) decides who may
    see which case's clip: the hub passes its responder scope."""
    router = APIRouter(prefix="/video", tags=["video"], dependencies=[Depends(auth)])
    scoped = [Depends(case_scope)] if case_scope else []

    @router.get("/cases/{case_no}/clip", dependencies=scoped)
    async def case_clip(case_no: str, request: Request) -> Response:
        """The clip kept with a case: from before its camera alarm to just after it."""
        rt = getattr(request.app.state, "runtime", None)
        if rt is None:
            raise HTTPException(503, "the hub runtime is not running")
        raw: Any = await rt.redis.hgetall(clip_key(rt.keys.prefix, case_no))
        if not raw:
            raise HTTPException(404, f"case {case_no!r} has no clip")
        return Response(
            raw[b"data"],
            media_type=raw[b"media_type"].decode(),
            headers={
                "X-Clip-Camera": raw[b"camera_id"].decode(),
                "X-Clip-First-Ms": raw[b"first_ms"].decode(),
                "X-Clip-Last-Ms": raw[b"last_ms"].decode(),
                "X-Clip-Alarm-Ms": raw[b"alarm_ms"].decode(),
            },
        )

    return router

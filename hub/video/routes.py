"""HTTP face of the video relay: WHEP per camera, snapshot, MJPEG, alarm clips, wall config.

``POST {prefix}/{camera}/whep`` (application/sdp offer) → 201, the answer, ``Location`` of the
session; ``DELETE`` that location ends it. Every route takes the viewer dependency given to
`video_router` (the hub's own auth once it exists; a bearer token from the environment now).
``?access_token=`` is accepted as well, for ``<img src>`` and ``EventSource`` that cannot set headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse

from hub.video.media import CLIP_FORMATS, MediaError, jpeg_of_last, mux_clip
from hub.video.mjpeg import BOUNDARY, MjpegFeed, part
from hub.video.registry import VideoError, VideoRegistry

Rendition = Annotated[str, Query(pattern=r"^[A-Za-z0-9_]{1,32}$")]


def bearer_token_auth(token: str) -> Callable[..., None]:
    """A dependency accepting ``Authorization: Bearer <token>`` or ``?access_token=<token>``."""
    if not token:
        raise ValueError("the video token is empty")

    def check(
        authorization: Annotated[str | None, Header()] = None,
        token_q: Annotated[str | None, Query(alias="access_token")] = None,
    ) -> None:
        given = token_q or (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "missing or wrong video token", {"WWW-Authenticate": "Bearer"})

    return check


def _fail(exc: VideoError | MediaError) -> HTTPException:
    if isinstance(exc, VideoError):
        return HTTPException(exc.status, str(exc))
    return HTTPException(404, str(exc))


def video_router(
    registry: VideoRegistry,
    auth: Callable[..., Any],
    prefix: str = "/video",
    *,
    camera_scope: Callable[..., Any] | None = None,
    staff_scope: Callable[..., Any] | None = None,
) -> APIRouter:
    """``camera_scope`` (a dependency taking the ``camera_id`` path parameter) guards the
    routes of one camera, ``staff_scope`` those that list every camera: the hub passes its
    responder scope (``hub/api/scope.py``); the stand-alone relay has one token and none."""
    router = APIRouter(prefix=prefix, tags=["video"], dependencies=[Depends(auth)])
    feeds: dict[tuple[str, str], MjpegFeed] = {}
    one_camera = [Depends(camera_scope)] if camera_scope else []
    all_cameras = [Depends(staff_scope)] if staff_scope else []

    @router.get("/config", dependencies=all_cameras)
    async def config() -> dict[str, Any]:
        """What a wall page needs: where WHEP lives and the ICE servers to use."""
        s = registry.settings
        return {
            "base_url": s.public_base_url or prefix,
            "renditions": s.renditions,
            "cameras": sorted(s.cameras),
            "ice_servers": [
                {"urls": i.urls, "username": i.username, "credential": i.credential(registry._env)}
                for i in s.ice_servers
            ],
        }

    @router.get("/stats", dependencies=all_cameras)
    async def stats() -> dict[str, Any]:
        """Counters: video encoders open for viewers (0 while packets pass through), running
        upstreams, sessions, viewers per relay."""
        return {
            "encoders": registry.encoders,
            "upstreams_running": registry.upstreams_running,
            "sessions": len(registry.sessions),
            "relays": registry.relay_stats(),
        }

    @router.post("/{camera_id}/whep", status_code=201, dependencies=one_camera)
    async def whep_offer(
        camera_id: str, request: Request, rendition: Rendition = "main"
    ) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/sdp":
            raise HTTPException(415, "the offer must be sent as Content-Type: application/sdp")
        offer = (await request.body()).decode("utf-8", errors="replace")
        try:
            session_id, answer = await registry.open_session(camera_id, rendition, offer)
        except VideoError as exc:
            raise _fail(exc) from exc
        location = f"{prefix}/sessions/{session_id}"
        return Response(answer, 201, media_type="application/sdp", headers={"Location": location})

    @router.delete("/sessions/{session_id}", status_code=200)
    async def whep_end(session_id: str) -> Response:
        if not await registry.close_session(session_id):
            raise HTTPException(404, f"no video session {session_id!r}")
        return Response(status_code=200)

    @router.get("/{camera_id}/snapshot.jpg", dependencies=one_camera)
    async def snapshot(camera_id: str, rendition: Rendition = "main") -> Response:
        try:
            info = await registry.info(camera_id, rendition)
            relay = registry.relay(camera_id, rendition)
            with contextlib.suppress(TimeoutError):  # a relay just started: its first keyframe
                await asyncio.wait_for(relay.keyframe_seen.wait(), timeout=5)
            jpeg = await asyncio.to_thread(jpeg_of_last, info.codec, list(relay.last_gop))
        except (VideoError, MediaError) as exc:
            raise _fail(exc) from exc
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @router.get("/{camera_id}/mjpeg", dependencies=one_camera)
    async def mjpeg(camera_id: str, rendition: Rendition = "sub") -> StreamingResponse:
        try:
            info = await registry.info(camera_id, rendition)
        except VideoError as exc:
            raise _fail(exc) from exc
        key = (camera_id, rendition)
        if key not in feeds:
            feeds[key] = MjpegFeed(registry.relay(camera_id, rendition), info.codec)
        feed = feeds[key]
        queue = feed.join()

        async def body() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield part(await queue.get())
            finally:
                feed.leave(queue)

        return StreamingResponse(
            body(), media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}"
        )

    @router.get("/{camera_id}/clip", dependencies=one_camera)
    async def clip(
        camera_id: str,
        start_ms: Annotated[int, Query(ge=0)],
        end_ms: Annotated[int, Query(ge=0)],
    ) -> Response:
        """Packets captured in [start_ms, end_ms] (Unix ms) from the pre-event buffer, no re-encode."""
        s = registry.settings
        if end_ms < start_ms or end_ms - start_ms > s.max_clip_s * 1000:
            raise HTTPException(
                422, f"window {start_ms}..{end_ms} must be ordered and at most {s.max_clip_s} s"
            )
        ring = registry.rings.get(camera_id)
        relay_info = None
        if ring is not None and s.prebuffer_rendition is not None:
            relay_info = registry.relay(camera_id, s.prebuffer_rendition).info
        if ring is None or relay_info is None:
            raise HTTPException(404, f"camera {camera_id!r} has no pre-event buffer running")
        packets = ring.window(start_ms, end_ms)
        try:
            data = await asyncio.to_thread(
                mux_clip, relay_info.codec, relay_info.resolution_wh, packets
            )
        except MediaError as exc:
            raise _fail(exc) from exc
        _, media_type, _ = CLIP_FORMATS[relay_info.codec]
        return Response(
            data,
            media_type=media_type,
            headers={
                "X-Clip-First-Ms": str(packets[0].captured_ms),
                "X-Clip-Last-Ms": str(packets[-1].captured_ms),
                "X-Clip-Packets": str(len(packets)),
            },
        )

    return router

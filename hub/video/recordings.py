"""The boxes' recordings, proxied for the console: the hub stores no continuous video.

A camera whose video comes from an edge box (``http://box:8554`` in the video settings) is
recorded on that box (``edge/recording``); these routes forward to the box's
``/recordings/…`` with the token the hub presents to boxes, under the same auth and camera
scope as the live video routes (a responder only through an open case of theirs from that
camera, an area-scoped token only for cameras looking into its area). ``Range`` goes
through, so a ``<video>`` seeks in a segment without loading it all.

| method, path (under ``/video``) | what |
|---|---|
| ``GET /{camera}/recordings?start_ms=&end_ms=`` | segments and alarm marks (JSON) |
| ``GET /{camera}/recordings/segments/{id}.mp4`` | one segment (fragmented MP4), ``Range`` honoured |
| ``GET /{camera}/recordings/clip.mp4?start_ms=&end_ms=`` | [start, end] remuxed on the box, from the keyframe before start |
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from hub.video.registry import VideoRegistry

PASSED_HEADERS = (
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "content-disposition",
    "x-clip-first-ms",
    "x-clip-last-ms",
    "x-clip-packets",
)
Ms = Annotated[int, Query(ge=0, le=2**53)]


def recordings_router(
    registry: VideoRegistry,
    auth: Callable[..., Any],
    prefix: str = "/video",
    *,
    camera_scope: Callable[..., Any] | None = None,
    max_clip_s: float = 600.0,
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["recordings"], dependencies=[Depends(auth)])
    one_camera = [Depends(camera_scope)] if camera_scope else []

    def box_of(camera_id: str) -> str:
        cam = registry.settings.cameras.get(camera_id)
        if cam is None:
            raise HTTPException(404, f"no camera {camera_id!r} in the video settings")
        if not cam.url.startswith(("http://", "https://")):
            raise HTTPException(
                404, f"camera {camera_id!r} is pulled from the camera itself: no box records it"
            )
        return cam.url.rstrip("/")

    async def forward(url: str, range_header: str | None = None) -> Response:
        headers = {"Authorization": f"Bearer {registry.edge_token}"}
        if range_header:
            headers["Range"] = range_header
        client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=120.0))
        try:
            resp = await client.send(client.build_request("GET", url, headers=headers), stream=True)
        except httpx.HTTPError as exc:
            await client.aclose()
            raise HTTPException(502, f"the camera's box did not answer: {exc}") from None
        if resp.status_code >= 400:
            reason = (await resp.aread()).decode("utf-8", "replace")[:500]
            await resp.aclose()
            await client.aclose()
            status = resp.status_code if resp.status_code in (400, 404, 416) else 502
            extra = {"Content-Range": resp.headers["content-range"]} if status == 416 else None
            raise HTTPException(status, reason or f"box answered {resp.status_code}", extra)
        keep = {k: v for k, v in resp.headers.items() if k.lower() in PASSED_HEADERS}

        async def body() -> AsyncIterator[bytes]:
            # closed however the answer ends: sent in full, or the browser seeking away
            # mid-segment (the stream is cancelled and this generator closed)
            try:
                async for chunk in resp.aiter_raw():
                    yield chunk
            finally:
                await resp.aclose()
                await client.aclose()

        return StreamingResponse(
            body(), status_code=resp.status_code, headers={**keep, "Cache-Control": "no-store"}
        )

    @router.get("/{camera_id}/recordings", dependencies=one_camera)
    async def listing(camera_id: str, start_ms: Ms = 0, end_ms: Ms = 2**53) -> Response:
        """Segments and alarm marks of the camera overlapping [start_ms, end_ms] (Unix ms)."""
        if end_ms <= start_ms:
            raise HTTPException(422, f"end_ms {end_ms} must come after start_ms {start_ms}")
        box = box_of(camera_id)
        return await forward(f"{box}/recordings/{camera_id}?start_ms={start_ms}&end_ms={end_ms}")

    @router.get("/{camera_id}/recordings/segments/{segment_id}.mp4", dependencies=one_camera)
    async def segment(
        camera_id: str,
        segment_id: Annotated[int, Path(ge=1, le=2**53)],
        request: Request,
    ) -> Response:
        box = box_of(camera_id)
        return await forward(
            f"{box}/recordings/{camera_id}/segments/{segment_id}.mp4",
            request.headers.get("range"),
        )

    @router.get("/{camera_id}/recordings/clip.mp4", dependencies=one_camera)
    async def clip(camera_id: str, start_ms: Ms, end_ms: Ms) -> Response:
        if end_ms <= start_ms or end_ms - start_ms > max_clip_s * 1000:
            raise HTTPException(
                422, f"window {start_ms}..{end_ms} must be ordered and at most {max_clip_s:g} s"
            )
        box = box_of(camera_id)
        return await forward(
            f"{box}/recordings/{camera_id}/clip.mp4?start_ms={start_ms}&end_ms={end_ms}"
        )

    return router

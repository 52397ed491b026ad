"""A WHEP endpoint for tests with hub/video's paths (POST /video/{camera}/whep, DELETE
/video/sessions/{id}), without edge boxes behind it.

Real aiortc peers sending a synthetic VP8 picture (a moving bar), so the browser tests
prove that tiles negotiate, play and keep frames coming. Unlike hub/video's relay it
encodes once per viewer: fine for a test, never for the hub.
"""

from __future__ import annotations

import asyncio
import fractions
import time
import uuid

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import VideoStreamTrack
from fastapi import APIRouter, Request, Response

FPS = 8
SIZE_WH = (320, 180)


class BarTrack(VideoStreamTrack):
    """A small moving picture; the bar's position changes every frame."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.n = 0
        self.seed = seed
        self.t0 = time.monotonic()

    async def recv(self) -> av.VideoFrame:
        self.n += 1
        wait = self.t0 + self.n / FPS - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        w, h = SIZE_WH
        img = np.full((h, w, 3), (20 + self.seed * 37 % 200, 40, 60), dtype=np.uint8)
        x = (self.n * 6) % w
        img[:, x : x + 12] = 230
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = self.n * (90_000 // FPS)
        frame.time_base = fractions.Fraction(1, 90_000)
        return frame


class WhepStandIn:
    def __init__(self) -> None:
        self.peers: dict[str, RTCPeerConnection] = {}
        self.offers = 0
        self.cameras: set[str] | None = None  # None: every camera plays; else only these
        self.router = APIRouter()
        self.router.add_api_route("/video/{camera}/whep", self.offer, methods=["POST"])
        self.router.add_api_route("/video/sessions/{session}", self.end, methods=["DELETE"])

    async def offer(self, camera: str, request: Request) -> Response:
        self.offers += 1
        if self.cameras is not None and camera not in self.cameras:
            return Response(f"unknown camera {camera!r}", status_code=404)  # as the relay
        sdp = (await request.body()).decode()
        pc = RTCPeerConnection()
        session = uuid.uuid4().hex[:12]
        self.peers[session] = pc

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState in ("failed", "closed"):
                self.peers.pop(session, None)
                await pc.close()

        pc.addTrack(BarTrack(sum(camera.encode())))
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return Response(
            pc.localDescription.sdp,
            status_code=201,
            media_type="application/sdp",
            headers={"Location": f"/video/sessions/{session}"},
        )

    async def end(self, session: str) -> Response:
        pc = self.peers.pop(session, None)
        if pc is not None:
            await pc.close()
        return Response(status_code=204)

    async def close_all(self) -> None:
        peers, self.peers = list(self.peers.values()), {}
        for pc in peers:
            await pc.close()

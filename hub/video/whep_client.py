"""A WHEP viewer on aiortc: for tests, benchmarks and checking a deployment from a shell.

It posts an offer, applies the answer and decodes what arrives, counting frames and keeping
the newest picture, so a caller can check frame rate, size and content.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import httpx
import numpy as np
import numpy.typing as npt
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

OnFrame = Callable[[npt.NDArray[np.uint8], float], None]


class WhepViewer:
    def __init__(self, url: str, token: str, on_frame: OnFrame | None = None) -> None:
        self.url = url
        self.token = token
        self.frames = 0
        self.frame_times: list[float] = []
        self.resolution_wh: tuple[int, int] | None = None
        self.location: str | None = None
        self._on_frame = on_frame
        self._pc = RTCPeerConnection()
        self._task: asyncio.Task[None] | None = None

    async def start(self, client: httpx.AsyncClient) -> None:
        self._pc.addTransceiver("video", direction="recvonly")

        @self._pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            self._task = asyncio.create_task(self._consume(track))

        await self._pc.setLocalDescription(await self._pc.createOffer())
        response = await client.post(
            self.url,
            content=self._pc.localDescription.sdp,
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {self.token}"},
        )
        if response.status_code != 201:
            raise RuntimeError(f"WHEP offer to {self.url}: {response.status_code} {response.text}")
        self.location = urljoin(self.url, response.headers["location"])
        await self._pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame: Any = await track.recv()
                now = time.monotonic()
                self.frames += 1
                self.frame_times.append(now)
                self.resolution_wh = (frame.width, frame.height)
                if self._on_frame is not None:
                    self._on_frame(frame.to_ndarray(format="bgr24"), now)

    def fps_between(self, start: float, end: float) -> float:
        n = sum(1 for t in self.frame_times if start <= t < end)
        return n / (end - start)

    async def wait_frames(self, count: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.frames < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.frames} frames decoded, wanted {count} in {timeout_s} s")
            await asyncio.sleep(0.05)

    async def close(self, client: httpx.AsyncClient | None = None, hang_up: bool = True) -> None:
        """Close; ``hang_up`` sends the WHEP DELETE (False simulates a viewer that vanished)."""
        if hang_up and client is not None and self.location is not None:
            await client.delete(self.location, headers={"Authorization": f"Bearer {self.token}"})
        if self._task is not None:
            self._task.cancel()
        await self._pc.close()

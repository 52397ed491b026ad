"""MJPEG fallback: one decoder per camera × rendition, shared by every MJPEG client.

Where WebRTC cannot connect, an ``<img>`` pointed at the MJPEG URL still shows the feed. The
decode and JPEG work is done once per picture whatever the number of clients, at most
``max_fps``; each client keeps only the newest JPEG (a slow client skips pictures).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from hub.video.media import decoder_for, encode_jpeg, to_av_packet
from hub.video.relay import CameraRelay

BOUNDARY = "gridwallframe"


class MjpegFeed:
    def __init__(self, relay: CameraRelay, codec: str, max_fps: float = 5.0) -> None:
        self._relay = relay
        self._codec = codec
        self._min_gap_s = 1.0 / max_fps
        self._clients: set[asyncio.Queue[bytes]] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def clients(self) -> int:
        return len(self._clients)

    def join(self) -> asyncio.Queue[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(1)
        self._clients.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return queue

    def leave(self, queue: asyncio.Queue[bytes]) -> None:
        self._clients.discard(queue)
        if not self._clients and self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        viewer = self._relay.add_viewer()
        decoder = decoder_for(self._codec)
        last = 0.0
        try:
            while (packet := await viewer.queue.get()) is not None:
                frames = decoder.decode(to_av_packet(packet))
                now = time.monotonic()
                if not frames or now - last < self._min_gap_s:
                    continue
                last = now
                jpeg = await asyncio.to_thread(encode_jpeg, frames[-1])
                for queue in list(self._clients):
                    if queue.full():
                        queue.get_nowait()
                    queue.put_nowait(jpeg)
        finally:
            self._relay.remove_viewer(viewer)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def part(jpeg: bytes) -> bytes:
    head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
    return head.encode() + jpeg + b"\r\n"

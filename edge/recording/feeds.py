"""Where a camera's recorded packets come from; each feed gives H.264 access units.

- `TapFeed`: an RTSP H.264 camera's own packets from the agent's `PacketTap` (what the
  camera sent, before the box decodes anything).
- `RenditionFeed`: a camera with no H.264 of its own (synthetic, file, USB, H.265) is
  recorded from the box's encoded rendition (``main``): the recorder is one more client of
  that rendition's single encoder, which viewers share, so nothing is encoded twice.
- `RtspFeed`: an RTSP camera: its own packets while its source says it sends H.264; once
  the source says another codec (H.265, which browsers cannot be counted on to play), the
  box's rendition instead.

Both drop to the next keyframe when the recorder falls behind, never growing memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Protocol

from edge.packet_tap import PacketTap
from edge.recording.segment import RecPacket

if TYPE_CHECKING:  # the video server imports the recording routes
    from edge.video.server import EdgeVideoServer

log = logging.getLogger(__name__)


class PacketFeed(Protocol):
    def get(self, timeout_s: float) -> RecPacket | None: ...

    def close(self) -> None: ...


class TapFeed:
    def __init__(self, tap: PacketTap, camera_id: str, maxlen: int = 300) -> None:
        self._tap = tap
        self._sub = tap.subscribe(camera_id, maxlen=maxlen)

    def get(self, timeout_s: float) -> RecPacket | None:
        p = self._sub.get(timeout_s)
        if p is None:
            return None
        sets = self._tap.parameter_sets(p.camera_id) if p.keyframe else b""
        return RecPacket(p.data, p.keyframe, p.pts_90k, p.captured_ms, sets)

    def close(self) -> None:
        self._sub.close()


class RtspFeed:
    def __init__(
        self,
        tap: PacketTap,
        camera_id: str,
        make_rendition: Callable[[], PacketFeed] | None,
    ) -> None:
        self.camera_id = camera_id
        self._tap = tap
        self._feed: PacketFeed = TapFeed(tap, camera_id)
        self._make_rendition = make_rendition
        self.switched = False

    def get(self, timeout_s: float) -> RecPacket | None:
        codec = self._tap.codec(self.camera_id)
        if not self.switched and codec not in (None, "h264"):
            self._switch(codec)
        return self._feed.get(timeout_s)

    def _switch(self, codec: str) -> None:
        self.switched = True
        self._feed.close()
        if self._make_rendition is None:
            log.warning(
                "recording %s: the camera sends %s and the box has no H.264 rendition to "
                "record instead: not recorded",
                self.camera_id,
                codec,
            )
            self._feed = _Nothing()
            return
        log.info(
            "recording %s: the camera sends %s: recording the box's rendition",
            self.camera_id,
            codec,
        )
        self._feed = self._make_rendition()

    def close(self) -> None:
        self._feed.close()


class _Nothing:
    def get(self, timeout_s: float) -> RecPacket | None:
        time.sleep(timeout_s)
        return None

    def close(self) -> None:
        return None


class RenditionFeed:
    """A client of ``server``'s encoded rendition, pumped on ``loop`` (the video service's)."""

    def __init__(
        self,
        server: EdgeVideoServer,
        loop: asyncio.AbstractEventLoop,
        camera_id: str,
        rendition: str,
        maxlen: int = 300,
    ) -> None:
        self.camera_id = camera_id
        self.overflows = 0
        self._queue: queue.Queue[RecPacket] = queue.Queue(maxlen)
        self._wait_keyframe = True
        self._loop = loop
        self._task: Future[None] = asyncio.run_coroutine_threadsafe(
            self._pump(server, rendition), loop
        )

    async def _pump(self, server: EdgeVideoServer, rendition: str) -> None:
        stream = server.rendition_stream(self.camera_id, rendition)
        while True:
            client = stream.attach()
            try:
                while (packet := await client.queue.get()) is not None:
                    self._put(
                        RecPacket(packet.data, packet.keyframe, packet.pts, packet.captured_ms)
                    )
            finally:
                stream.detach(client)
            log.warning("recording %s: cut off by the rendition stream, rejoining", self.camera_id)
            await asyncio.sleep(0.5)

    def _put(self, packet: RecPacket) -> None:
        if self._wait_keyframe and not packet.keyframe:
            return
        self._wait_keyframe = False
        try:
            self._queue.put_nowait(packet)
        except queue.Full:
            self.overflows += 1
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
            self._wait_keyframe = not packet.keyframe
            if not self._wait_keyframe:
                self._queue.put_nowait(packet)

    def get(self, timeout_s: float) -> RecPacket | None:
        try:
            return self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._task.cancel()  # thread-safe: cancels the pump on its loop

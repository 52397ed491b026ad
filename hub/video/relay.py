"""One upstream per camera × rendition, fanned out to any number of viewers.

The relay reads packets once and hands the same bytes to every viewer's bounded queue; it
never decodes or encodes. A viewer that stays full for ``stall_drop_s`` is dropped (its
`on_drop` runs) while the others go on; a viewer that falls behind skips to the next keyframe.
With no viewers the upstream closes after ``idle_stop_s`` (the box's encoder then stops
too), unless ``keep_running`` (the pre-event buffer needs the stream all the time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from contracts.video_wire import EncodedPacket
from hub.services.cancellation import raise_if_cancelled
from hub.video.ring import PacketRing
from hub.video.upstream import StreamInfo, Upstream

log = logging.getLogger(__name__)
Clock = Callable[[], float]
RECONNECT_FIRST_S = 0.5
RECONNECT_MAX_S = 10.0


class Viewer:
    """A viewer's queue; ``None`` in it ends the viewer."""

    def __init__(self, maxsize: int, on_drop: Callable[[], None] | None) -> None:
        self.queue: asyncio.Queue[EncodedPacket | None] = asyncio.Queue(maxsize)
        self.on_drop = on_drop
        self.wait_keyframe = True
        self.full_since: float | None = None
        self.packets = 0
        self.skipped = 0


class CameraRelay:
    def __init__(
        self,
        camera_id: str,
        rendition: str,
        make_upstream: Callable[[], Upstream],
        *,
        keep_running: bool,
        idle_stop_s: float,
        queue_packets: int,
        stall_drop_s: float,
        ring: PacketRing | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.camera_id = camera_id
        self.rendition = rendition
        self.keep_running = keep_running
        self.ring = ring
        self.info: StreamInfo | None = None
        self.packets_in = 0
        self.upstream_starts = 0
        self.viewers_dropped = 0
        self.reconnects = 0
        self.last_gop: list[EncodedPacket] = []
        self.keyframe_seen = asyncio.Event()
        self._make_upstream = make_upstream
        self._idle_stop_s = idle_stop_s
        self._queue_packets = queue_packets
        self._stall_drop_s = stall_drop_s
        self._clock = clock
        self._viewers: set[Viewer] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[StreamInfo] | None = None
        self._idle: asyncio.TimerHandle | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def viewers(self) -> int:
        return len(self._viewers)

    async def ensure_running(self, timeout_s: float = 10.0) -> StreamInfo:
        """Start the upstream if it is not running; return its codec and size."""
        if not self.running:
            loop = asyncio.get_running_loop()
            self._ready = loop.create_future()
            self.upstream_starts += 1
            self._task = asyncio.create_task(
                self._pump(self._ready), name=f"relay-{self.camera_id}"
            )
        assert self._ready is not None
        return await asyncio.wait_for(asyncio.shield(self._ready), timeout_s)

    def add_viewer(self, on_drop: Callable[[], None] | None = None) -> Viewer:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        viewer = Viewer(self._queue_packets, on_drop)
        self._viewers.add(viewer)
        return viewer

    def remove_viewer(self, viewer: Viewer) -> None:
        if viewer not in self._viewers:
            return
        self._viewers.discard(viewer)
        with contextlib.suppress(asyncio.QueueFull):
            viewer.queue.put_nowait(None)
        if not self._viewers and not self.keep_running and self._idle is None:
            loop = asyncio.get_running_loop()
            self._idle = loop.call_later(self._idle_stop_s, self._stop_if_idle)

    def _stop_if_idle(self) -> None:
        self._idle = None
        if not self._viewers and not self.keep_running and self._task is not None:
            log.info("video %s/%s: unwatched, upstream stops", self.camera_id, self.rendition)
            self._task.cancel()

    async def stop(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        for viewer in list(self._viewers):
            self._drop(viewer)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _pump(self, ready: asyncio.Future[StreamInfo]) -> None:
        """Read the upstream; a ``keep_running`` relay reconnects with backoff when it fails."""
        backoff_s = RECONNECT_FIRST_S
        while True:
            raise_if_cancelled()
            upstream = self._make_upstream()
            try:
                self.info = await upstream.open()  # through wait_for: may lose a cancel
                raise_if_cancelled()
                if not ready.done():
                    ready.set_result(self.info)
                backoff_s = RECONNECT_FIRST_S
                async for packet in upstream.packets():
                    self._deliver(packet)
                log.warning("video %s/%s: upstream ended", self.camera_id, self.rendition)
            except asyncio.CancelledError:
                if not ready.done():
                    ready.cancel()
                raise
            except Exception as exc:
                log.warning("video %s/%s: upstream failed: %s", self.camera_id, self.rendition, exc)
                if not ready.done():
                    ready.set_exception(exc)
                    ready.exception()  # retrieved here: a waiter may be gone
            finally:
                await upstream.close()
                for viewer in list(self._viewers):  # an ended source ends its viewers
                    self._drop(viewer)
            if not self.keep_running:
                return
            await asyncio.sleep(backoff_s)
            backoff_s = min(backoff_s * 2, RECONNECT_MAX_S)
            self.reconnects += 1
            if ready.done() and ready.exception() is not None:
                ready = asyncio.get_running_loop().create_future()
                self._ready = ready

    def _deliver(self, packet: EncodedPacket) -> None:
        self.packets_in += 1
        if packet.keyframe:
            self.last_gop = [packet]
            self.keyframe_seen.set()
        elif self.last_gop and len(self.last_gop) < 600:
            self.last_gop.append(packet)
        if self.ring is not None:
            self.ring.add(packet)
        now = self._clock()
        for viewer in list(self._viewers):
            self._offer(viewer, packet, now)

    def _offer(self, viewer: Viewer, packet: EncodedPacket, now: float) -> None:
        if viewer.wait_keyframe and not packet.keyframe:
            viewer.skipped += 1
            return
        if viewer.queue.full():
            if viewer.full_since is None:
                viewer.full_since = now
            elif now - viewer.full_since >= self._stall_drop_s:
                log.warning(
                    "video %s: viewer stalled %.1f s, dropped",
                    self.camera_id,
                    now - viewer.full_since,
                )
                self._drop(viewer)
                return
            viewer.wait_keyframe = True  # a gap in the stream: resume at the next keyframe
            viewer.skipped += 1
            return
        viewer.full_since = None
        viewer.wait_keyframe = False
        viewer.queue.put_nowait(packet)
        viewer.packets += 1

    def _drop(self, viewer: Viewer) -> None:
        if viewer not in self._viewers:
            return
        self.viewers_dropped += 1
        while not viewer.queue.empty():
            viewer.queue.get_nowait()
        self.remove_viewer(viewer)
        if viewer.on_drop is not None:
            viewer.on_drop()

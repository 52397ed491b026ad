"""A camera's own H.264, served as the camera encoded it: no decoder, no encoder on the way.

The box's RTSP source publishes every H.264 packet to the agent's `PacketTap` before it
decodes it for detection. This stream forwards those packets to each client of rendition
``camera`` (``PASSTHROUGH``), each client starting at a keyframe. It has the interface the
video server uses for a `RenditionStream`, and counts as no encoder.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from contracts.video_wire import EncodedPacket
from edge.packet_tap import CameraPacket, PacketTap
from edge.video.stream import StreamClient

log = logging.getLogger(__name__)
PASSTHROUGH = "camera"
"""The rendition name that asks a box for a camera's own H.264."""


@dataclass(frozen=True, slots=True)
class StreamShape:
    """What the response headers announce: the camera's size and rate."""

    width: int
    height: int
    fps: float


class PassthroughStream:
    codec = "h264"

    def __init__(
        self,
        camera_id: str,
        latest: CameraPacket,
        packets: PacketTap,
        *,
        idle_stop_s: float,
        client_queue_packets: int,
    ) -> None:
        self.camera_id = camera_id
        width, height = latest.resolution_wh
        self.rendition = StreamShape(width, height, latest.fps or 25.0)
        self.packets_sent = 0
        self._packets = packets
        self._idle_stop_s = idle_stop_s
        self._queue_packets = client_queue_packets
        self._clients: set[StreamClient] = set()
        self._waiting: set[StreamClient] = set()  # no keyframe sent to them yet
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._idle_handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sequence = 0

    @property
    def encoding(self) -> bool:
        return False  # it never encodes: the camera did

    @property
    def forwarding(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def clients(self) -> int:
        return len(self._clients)

    def attach(self) -> StreamClient:
        self._loop = asyncio.get_running_loop()
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None
        client = StreamClient(self._queue_packets)
        self._clients.add(client)
        self._waiting.add(client)
        if not self.forwarding:
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name=f"pass-{self.camera_id}", daemon=True
            )
            self._thread.start()
        return client

    def detach(self, client: StreamClient) -> None:
        self._clients.discard(client)
        self._waiting.discard(client)
        if not self._clients and self._loop is not None and self._idle_handle is None:
            self._idle_handle = self._loop.call_later(self._idle_stop_s, self._idle_stop)

    def _idle_stop(self) -> None:
        self._idle_handle = None
        if not self._clients:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    def end_clients(self) -> None:
        for client in list(self._clients):
            while not client.queue.empty():
                client.queue.get_nowait()
            client.queue.put_nowait(None)
        self._clients.clear()
        self._waiting.clear()

    def _run(self, stop: threading.Event) -> None:
        sub = self._packets.subscribe(self.camera_id)
        try:
            while not stop.is_set():
                got = sub.get(timeout_s=0.2)
                if got is None:
                    continue
                self._sequence += 1
                packet = EncodedPacket(
                    got.data, got.pts_90k, got.captured_ms, got.keyframe, self._sequence
                )
                loop = self._loop
                if loop is not None and not loop.is_closed():
                    loop.call_soon_threadsafe(self._fan_out, packet)
        finally:
            sub.close()

    def _fan_out(self, packet: EncodedPacket) -> None:
        for client in list(self._clients):
            if client in self._waiting:
                if not packet.keyframe:
                    continue
                self._waiting.discard(client)
            if client.queue.full():
                log.warning("passthrough %s: client too slow, cut off", self.camera_id)
                client.cut_off = True
                self.detach(client)
                client.queue.get_nowait()
                client.queue.put_nowait(None)
                continue
            client.queue.put_nowait(packet)
            self.packets_sent += 1

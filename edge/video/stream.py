"""One rendition of one camera on the box: a single encoder, shared by every client.

The encoder thread starts with the first client and stops ``idle_stop_s`` after the last one
leaves. Frames come from the agent's `FrameTap` (drop-oldest, so a slow encoder skips frames
instead of queueing them). Each client has a bounded queue; a client whose queue is full is
cut off rather than slowing the others.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from contracts.video_wire import EncodedPacket
from edge.frame_tap import FrameTap
from edge.video.encoder import FrameEncoder
from edge.video.settings import Rendition

log = logging.getLogger(__name__)


class StreamClient:
    """A bounded queue of packets; ``None`` in it means the stream cut this client off."""

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[EncodedPacket | None] = asyncio.Queue(maxsize)
        self.cut_off = False


class RenditionStream:
    def __init__(
        self,
        camera_id: str,
        rendition: Rendition,
        codec: str,
        tap: FrameTap,
        *,
        keyframe_interval_s: float,
        idle_stop_s: float,
        client_queue_packets: int,
    ) -> None:
        self.camera_id = camera_id
        self.rendition = rendition
        self.codec = codec
        self.encoder_starts = 0
        self.packets_sent = 0
        self.frames_encoded = 0
        self._tap = tap
        self._keyframe_interval_s = keyframe_interval_s
        self._idle_stop_s = idle_stop_s
        self._queue_packets = client_queue_packets
        self._clients: set[StreamClient] = set()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._encoder: FrameEncoder | None = None
        self._idle_handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def encoding(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def clients(self) -> int:
        return len(self._clients)

    def attach(self) -> StreamClient:
        """A new client; starts the encoder if needed and asks for a keyframe for it."""
        self._loop = asyncio.get_running_loop()
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None
        client = StreamClient(self._queue_packets)
        self._clients.add(client)
        if not self.encoding:
            self._start()
        elif self._encoder is not None:
            self._encoder.request_keyframe()
        return client

    def detach(self, client: StreamClient) -> None:
        self._clients.discard(client)
        if not self._clients and self._loop is not None and self._idle_handle is None:
            self._idle_handle = self._loop.call_later(self._idle_stop_s, self._idle_stop)

    def _idle_stop(self) -> None:
        self._idle_handle = None
        if not self._clients:
            log.info(
                "video %s: no client for %.1f s, encoder stops", self.camera_id, self._idle_stop_s
            )
            self.stop()

    def _start(self) -> None:
        self._stop = threading.Event()
        self.encoder_starts += 1
        self._thread = threading.Thread(
            target=self._run, args=(self._stop,), name=f"video-{self.camera_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the encoder thread (clients stay attached; a later attach restarts it)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    def end_clients(self) -> None:
        """Tell every client the stream is over (the box is shutting down)."""
        for client in list(self._clients):
            while not client.queue.empty():
                client.queue.get_nowait()
            client.queue.put_nowait(None)
        self._clients.clear()

    def _run(self, stop: threading.Event) -> None:
        r = self.rendition
        sub = self._tap.subscribe(self.camera_id, maxlen=2)
        encoder = FrameEncoder(
            self.codec, (r.width, r.height), r.fps, r.bitrate_bps, self._keyframe_interval_s
        )
        self._encoder = encoder
        min_gap_ms = 1000.0 / r.fps * 0.9
        last_ms = -1e18
        try:
            while not stop.is_set():
                frame = sub.get(timeout_s=0.2)
                if frame is None or frame.captured_ms - last_ms < min_gap_ms:
                    continue  # camera faster than this rendition: skip to keep its rate
                last_ms = frame.captured_ms
                packets = encoder.encode(frame.image, frame.captured_ms)
                self.frames_encoded += 1
                loop = self._loop
                if packets and loop is not None and not loop.is_closed():
                    loop.call_soon_threadsafe(self._fan_out, packets)
        except Exception:
            log.exception("video %s: encoder failed", self.camera_id)
        finally:
            self._encoder = None
            encoder.close()
            sub.close()

    def _fan_out(self, packets: list[EncodedPacket]) -> None:
        for client in list(self._clients):
            for packet in packets:
                if client.queue.full():
                    log.warning("video %s: client too slow, cut off", self.camera_id)
                    client.cut_off = True
                    self.detach(client)
                    client.queue.get_nowait()
                    client.queue.put_nowait(None)
                    break
                client.queue.put_nowait(packet)
                self.packets_sent += 1

"""Where a relay's packets come from: an edge box's encoded stream, or a camera pulled directly.

An `Upstream` opens (learning codec and size), then yields `EncodedPacket`s until the source
ends or it is closed. Neither kind decodes or encodes: packets pass through as they come.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import av
import httpx

from contracts.video_wire import CLOCK_RATE_HZ, EncodedPacket, RecordReader


class UpstreamError(RuntimeError):
    """The source refused or broke; the message says which and why."""


@dataclass(frozen=True, slots=True)
class StreamInfo:
    codec: str
    resolution_wh: tuple[int, int]
    fps: float


class Upstream(Protocol):
    async def open(self) -> StreamInfo: ...
    def packets(self) -> AsyncIterator[EncodedPacket]: ...
    async def close(self) -> None: ...


class EdgeUpstream:
    """``GET {base}/video/{camera}/{rendition}`` on an edge box (see edge/video/server.py)."""

    def __init__(self, base_url: str, camera_id: str, rendition: str, token: str) -> None:
        self.url = f"{base_url.rstrip('/')}/video/{camera_id}/{rendition}"
        self._token = token
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=10.0))
        self._response: httpx.Response | None = None

    async def open(self) -> StreamInfo:
        request = self._client.build_request(
            "GET", self.url, headers={"Authorization": f"Bearer {self._token}"}
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"{self.url}: {exc!r}") from exc
        self._response = response
        if response.status_code != 200:
            body = (await response.aread())[:200].decode(errors="replace")
            raise UpstreamError(f"{self.url}: HTTP {response.status_code} {body}")
        h = response.headers
        try:
            return StreamInfo(
                h["x-gridwall-codec"],
                (int(h["x-gridwall-width"]), int(h["x-gridwall-height"])),
                float(h["x-gridwall-fps"]),
            )
        except (KeyError, ValueError) as exc:
            raise UpstreamError(f"{self.url}: bad stream headers {dict(h)!r}") from exc

    async def packets(self) -> AsyncIterator[EncodedPacket]:
        if self._response is None:
            raise UpstreamError("packets() before open()")
        reader = RecordReader()
        async for chunk in self._response.aiter_raw():
            for packet in reader.feed(chunk):
                yield packet

    async def close(self) -> None:
        if self._response is not None:
            await self._response.aclose()
        await self._client.aclose()


class CameraUpstream:
    """Pull a camera's own stream (RTSP, or a file for tests) with PyAV; H.264 passes through."""

    def __init__(self, url: str, queue_packets: int = 60, transport: str = "tcp") -> None:
        self.url = url.removeprefix("file:")
        self._transport = transport
        self._queue: asyncio.Queue[EncodedPacket | None] = asyncio.Queue(queue_packets)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._info: asyncio.Future[StreamInfo] | None = None

    async def open(self) -> StreamInfo:
        loop = asyncio.get_running_loop()
        self._info = loop.create_future()
        self._thread = threading.Thread(target=self._run, args=(loop,), daemon=True)
        self._thread.start()
        return await asyncio.wait_for(self._info, timeout=10)

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._info is not None
        info = self._info
        try:
            options = {"rtsp_transport": self._transport} if self.url.startswith("rtsp") else {}
            container = av.open(self.url, options=options, timeout=5.0)
            stream = container.streams.video[0]
            name = stream.codec_context.name
            if name != "h264":
                raise UpstreamError(f"{self.url}: codec {name!r}; only H.264 passes through")
            fps = float(stream.average_rate or 25)
            found = StreamInfo("h264", (stream.width, stream.height), fps)
            loop.call_soon_threadsafe(info.set_result, found)
            to_annexb = av.BitStreamFilterContext("h264_mp4toannexb", stream)
            sequence = 0
            live = self.url.startswith("rtsp")
            started, first_s = time.monotonic(), None
            for raw in container.demux(stream):
                if self._stop.is_set():
                    break
                if not live and raw.pts is not None and raw.time_base is not None:
                    at_s = float(raw.pts * raw.time_base)  # a file plays at its own pace
                    first_s = at_s if first_s is None else first_s
                    delay = started + (at_s - first_s) - time.monotonic()
                    if delay > 0:
                        self._stop.wait(delay)
                for packet in to_annexb.filter(raw):
                    sequence += 1
                    pts = packet.pts or 0
                    out = EncodedPacket(
                        bytes(packet),
                        int(pts * packet.time_base * CLOCK_RATE_HZ) if packet.time_base else 0,
                        time.time_ns() // 1_000_000,
                        bool(packet.is_keyframe),
                        sequence,
                    )
                    asyncio.run_coroutine_threadsafe(self._queue.put(out), loop).result()
            container.close()
        except Exception as exc:
            if not info.done():
                with contextlib.suppress(RuntimeError):  # the loop may be gone already
                    loop.call_soon_threadsafe(
                        info.set_exception, UpstreamError(f"{self.url}: {exc}")
                    )
        finally:
            end = self._queue.put(None)
            try:
                asyncio.run_coroutine_threadsafe(end, loop)
            except RuntimeError:
                end.close()  # the loop closed before this thread ended: no one waits for it

    async def packets(self) -> AsyncIterator[EncodedPacket]:
        while (packet := await self._queue.get()) is not None:
            yield packet

    async def close(self) -> None:
        self._stop.set()
        while not self._queue.empty():
            self._queue.get_nowait()

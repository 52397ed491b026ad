"""The box's video endpoint: the hub pulls ``GET /video/{camera}/{rendition}`` from it.

A deliberately small HTTP/1.1 server on asyncio (the edge has no web framework): one request
per connection, bearer token, then the body is the wire records of `contracts.video_wire`
until either side closes. Codec and size travel in ``X-Gridwall-*`` response headers.
Rendition ``camera`` is an RTSP H.264 camera's own stream, passed through (`passthrough.py`).
Paths under ``/recordings/`` go to the box's recorder when it records
(``edge/recording/http.py``), behind the same token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re

from contracts.video_wire import pack_record
from edge.frame_tap import FrameTap
from edge.packet_tap import PacketTap
from edge.recording.http import PREFIX as RECORDINGS
from edge.recording.http import RecordingRoutes, write_answer
from edge.video.passthrough import PASSTHROUGH, PassthroughStream
from edge.video.settings import EdgeVideoSettings
from edge.video.stream import RenditionStream

log = logging.getLogger(__name__)
_PATH = re.compile(r"^/video/([A-Za-z0-9_-]{1,64})/([A-Za-z0-9_]{1,32})$")
_MAX_HEADER_BYTES = 8192


class EdgeVideoServer:
    """Serves every camera published to ``tap``; one `RenditionStream` per camera × rendition."""

    def __init__(
        self,
        settings: EdgeVideoSettings,
        tap: FrameTap,
        token: str,
        packets: PacketTap | None = None,
    ) -> None:
        if not token:
            raise ValueError("the video token is empty: set the variable named by token_env")
        self.settings = settings
        self._tap = tap
        self._packets = packets
        self._token = token
        self._streams: dict[tuple[str, str], RenditionStream | PassthroughStream] = {}
        self._server: asyncio.Server | None = None
        self.port = settings.port
        self.recordings: RecordingRoutes | None = None  # set when the box records

    @property
    def encoders_running(self) -> int:
        return sum(1 for s in self._streams.values() if s.encoding)

    def stream(self, camera_id: str, rendition: str) -> RenditionStream | None:
        """The encoded rendition's stream, if a client ever asked for it."""
        found = self._streams.get((camera_id, rendition))
        return found if isinstance(found, RenditionStream) else None

    def passthrough(self, camera_id: str) -> PassthroughStream | None:
        """The camera's own H.264 stream, if a client ever asked for it."""
        found = self._streams.get((camera_id, PASSTHROUGH))
        return found if isinstance(found, PassthroughStream) else None

    def rendition_stream(self, camera_id: str, rendition: str) -> RenditionStream:
        """The one encoder of an encoded rendition, for a client inside the box (the
        recorder): it shares the encoder with the hub's viewers."""
        if rendition not in self.settings.renditions:
            raise ValueError(
                f"rendition {rendition!r} is not one of {sorted(self.settings.renditions)}"
            )
        stream = self._stream_for(camera_id, rendition)
        assert isinstance(stream, RenditionStream)
        return stream

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, self.settings.host, self.settings.port
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("edge video listening on %s:%d", self.settings.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for stream in self._streams.values():
            stream.end_clients()
            await asyncio.to_thread(stream.stop)

    def _stream_for(self, camera_id: str, rendition: str) -> RenditionStream | PassthroughStream:
        key = (camera_id, rendition)
        if key not in self._streams and rendition == PASSTHROUGH:
            latest = self._packets.latest(camera_id) if self._packets is not None else None
            assert latest is not None  # _check made sure
            self._streams[key] = PassthroughStream(
                camera_id,
                latest,
                self._packets,  # type: ignore[arg-type]
                idle_stop_s=self.settings.idle_stop_s,
                client_queue_packets=self.settings.client_queue_packets,
            )
        if key not in self._streams:
            s = self.settings
            self._streams[key] = RenditionStream(
                camera_id,
                s.renditions[rendition],
                s.codec,
                self._tap,
                keyframe_interval_s=s.keyframe_interval_s,
                idle_stop_s=s.idle_stop_s,
                client_queue_packets=s.client_queue_packets,
            )
        return self._streams[key]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        lines = head[:_MAX_HEADER_BYTES].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        headers = dict(
            (k.strip().lower(), v.strip())
            for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
        )
        if len(parts) == 3 and parts[1].startswith(RECORDINGS):
            await self._recording(parts, headers, writer)
            return
        status, reason = self._check(parts, headers)
        if status == 200:
            status, reason = self._check_passthrough(parts[1])
        if status != 200:
            writer.write(_response(status, reason))
            await _close(writer)
            return
        match = _PATH.match(parts[1])
        assert match is not None
        stream = self._stream_for(match[1], match[2])
        await self._serve(stream, reader, writer)

    async def _recording(
        self, parts: list[str], headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> None:
        try:
            if not self._token_ok(headers):
                writer.write(_response(401, "missing or wrong bearer token"))
            elif self.recordings is None:
                writer.write(_response(404, "this box does not record (no recording: settings)"))
            else:
                answer = await self.recordings.answer(parts[0], parts[1], headers)
                await write_answer(writer, answer)
        except (ConnectionError, OSError):
            pass
        finally:
            await _close(writer)

    def _token_ok(self, headers: dict[str, str]) -> bool:
        given = headers.get("authorization", "").removeprefix("Bearer ").encode()
        return hmac.compare_digest(given, self._token.encode())

    def _check(self, parts: list[str], headers: dict[str, str]) -> tuple[int, str]:
        if len(parts) != 3 or parts[0] != "GET":
            return 405, f"only GET is served, got {' '.join(parts)[:80]!r}"
        match = _PATH.match(parts[1])
        if match is None:
            return 404, f"path {parts[1][:80]!r} is not /video/<camera>/<rendition>"
        if match[2] not in self.settings.renditions and match[2] != PASSTHROUGH:
            return 404, f"rendition {match[2]!r} is not one of {sorted(self.settings.renditions)}"
        if not self._token_ok(headers):
            return 401, "missing or wrong bearer token"
        return 200, "OK"

    def _check_passthrough(self, path: str) -> tuple[int, str]:
        match = _PATH.match(path)
        assert match is not None
        if match[2] != PASSTHROUGH:
            return 200, "OK"
        latest = self._packets.latest(match[1]) if self._packets is not None else None
        if latest is None:
            return 404, (
                f"camera {match[1]!r} sends no H.264 of its own to pass through "
                "(only RTSP H.264 cameras do; ask for an encoded rendition)"
            )
        return 200, "OK"

    async def _serve(
        self,
        stream: RenditionStream | PassthroughStream,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        r = stream.rendition
        writer.write(
            (
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-gridwall-video\r\n"
                f"X-Gridwall-Codec: {stream.codec}\r\nX-Gridwall-Width: {r.width}\r\n"
                f"X-Gridwall-Height: {r.height}\r\nX-Gridwall-Fps: {r.fps}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        client = stream.attach()
        gone = asyncio.ensure_future(reader.read(1))  # any byte or EOF: the hub hung up
        try:
            while True:
                get = asyncio.ensure_future(client.queue.get())
                done, _ = await asyncio.wait({get, gone}, return_when=asyncio.FIRST_COMPLETED)
                if gone in done:
                    get.cancel()
                    break
                packet = get.result()
                if packet is None:
                    break
                writer.write(pack_record(packet))
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            gone.cancel()
            stream.detach(client)
            await _close(writer)


def _response(status: int, reason: str) -> bytes:
    body = reason.encode()
    titles = {401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
    return (
        f"HTTP/1.1 {status} {titles.get(status, 'Error')}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()

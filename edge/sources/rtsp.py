"""An RTSP camera through PyAV (FFmpeg): H.264 or H.265, over TCP or UDP, decoded on the box.

What can go wrong with a real camera becomes a ``SourceError`` naming it, and the capture
loop reconnects with backoff and reports the camera's state:

- refused, unreachable, not RTSP, no video stream: at ``open``;
- a drop (the connection closes) or the stream ending: at ``read``;
- a stall (the session stays up, no data): no packet for ``timeout_s`` (FFmpeg's RTSP
  demuxer gives up after about twice the read timeout it is given, measured: it gets half);
- garbage (packets arrive that do not decode): the decoder runs with ``err_detect=explode``,
  so a damaged packet is an error rather than a smeared picture, and its pictures are
  dropped (``decode_errors`` counts them); more bad packets than good ones over
  ``timeout_s``, or no picture at all for ``timeout_s``, is a broken stream. A camera
  joined in the middle of a GOP is no garbage: FFmpeg skips the pictures before the first
  keyframe without an error, but ``timeout_s`` must exceed the camera's keyframe interval.
  A few bad packets (a lost UDP datagram) only cost pictures until the next keyframe.

A change of resolution needs no reconnect: pictures simply come at the new size (the
capture loop reports it). Credentials in the URL never appear in a reason or a log line.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import av
import av.error
import numpy as np

from edge.packet_tap import CameraPacket, PacketTap
from edge.sources.base import Frame, SourceError

PROBE_US = "500000"  # how much of the stream FFmpeg reads to learn its codec and size


def redact(url: str) -> str:
    """The URL without its user and password."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, f"***@{netloc}", parts.path, parts.query, ""))


class RtspSource:
    def __init__(
        self,
        url: str,
        *,
        transport: str = "tcp",
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        packets: tuple[PacketTap, str] | None = None,
    ) -> None:
        """``packets`` (tap, camera id): publish the camera's H.264 packets as they come,
        before decoding, for the box's pass-through video (``edge.video.passthrough``)."""
        if transport not in ("tcp", "udp"):
            raise ValueError(f"transport must be tcp or udp, got {transport!r}")
        self.name = redact(url)
        self.codec: str | None = None
        self.decode_errors = 0
        self._url = url
        self._transport = transport
        self._timeout_s = timeout_s
        self._clock = clock
        self._container: Any = None
        self._packets: Iterator[av.Packet[Any]] | None = None
        self._pending: collections.deque[av.VideoFrame] = collections.deque()
        self._last_picture_s = 0.0
        self._window_start_s = 0.0
        self._window = [0, 0]  # good, bad packets since _window_start_s
        self._last_error = ""
        self._index = 0
        self._packet_tap = packets
        self._stream: Any = None
        self._size_wh = (0, 0)

    def open(self) -> None:
        self.close()
        options = {
            "rtsp_transport": self._transport,
            "analyzeduration": PROBE_US,
            "probesize": "1000000",
        }
        try:
            container = av.open(
                self._url, options=options, timeout=(self._timeout_s, self._timeout_s / 2)
            )
        except (av.error.FFmpegError, OSError) as exc:
            raise SourceError(
                f"cannot open {self.name} over {self._transport}: {_say(exc)}"
            ) from None
        if not container.streams.video:
            container.close()
            raise SourceError(f"{self.name} offers no video stream")
        stream = container.streams.video[0]
        stream.codec_context.options = {"err_detect": "explode"}
        self.codec = stream.codec_context.name
        if self._packet_tap is not None:
            extradata = bytes(stream.codec_context.extradata or b"")
            self._packet_tap[0].announce(self._packet_tap[1], self.codec, extradata)
        self._stream = stream
        self._size_wh = (stream.width, stream.height)
        self._container = container
        self._packets = container.demux(stream)
        self._last_picture_s = self._window_start_s = self._clock()
        self._window = [0, 0]

    def read(self) -> Frame:
        while not self._pending:
            self._pending.extend(self._decode(self._next_packet()))
            now = self._clock()
            if self._pending:
                self._last_picture_s = now
            good, bad = self._window
            if bad > good and now - self._window_start_s >= self._timeout_s:
                raise SourceError(
                    f"garbage from {self.name}: {bad} of {good + bad} packets undecodable "
                    f"in {now - self._window_start_s:.1f} s ({self._last_error})"
                )
            if now - self._last_picture_s >= self._timeout_s:
                raise SourceError(
                    f"garbage from {self.name}: no picture for {self._timeout_s:g} s "
                    f"({self._last_error or 'nothing decoded'})"
                )
            if now - self._window_start_s >= self._timeout_s:
                self._window_start_s, self._window = now, [0, 0]
        picture = self._pending.popleft()
        self._size_wh = (picture.width, picture.height)
        image = np.ascontiguousarray(picture.to_ndarray(format="bgr24"), np.uint8)
        self._index += 1
        return Frame(image, time.time_ns() // 1_000_000, self._index - 1)

    def _next_packet(self) -> av.Packet[Any]:
        if self._packets is None:
            raise SourceError(f"{self.name} is not open")
        try:
            packet = next(self._packets)
            if self._packet_tap is not None and self.codec == "h264" and packet.size:
                self._publish(packet)
            return packet
        except StopIteration:
            raise SourceError(f"{self.name}: the stream ended") from None
        except av.error.ExitError:
            raise SourceError(f"{self.name} stalled: no data for {self._timeout_s:g} s") from None
        except (av.error.FFmpegError, OSError) as exc:
            raise SourceError(f"{self.name} dropped: {_say(exc)}") from None

    def _publish(self, packet: av.Packet[Any]) -> None:
        assert self._packet_tap is not None
        tap, camera_id = self._packet_tap
        pts = packet.pts or 0
        base = packet.time_base
        tap.publish(
            CameraPacket(
                camera_id,
                "h264",
                self._size_wh,
                float(self._stream.average_rate or 0) if self._stream is not None else 0.0,
                bytes(packet),
                bool(packet.is_keyframe),
                int(pts * base * 90_000) if base is not None else 0,
                time.time_ns() // 1_000_000,
            )
        )

    def _decode(self, packet: av.Packet[Any]) -> list[av.VideoFrame]:
        if packet.size == 0:
            return []
        try:
            pictures = [p for p in packet.decode() if not p.is_corrupt]
        except av.error.FFmpegError as exc:
            self.decode_errors += 1
            self._window[1] += 1
            self._last_error = _say(exc)
            return []
        self._window[0] += 1
        return pictures

    def close(self) -> None:
        self._pending.clear()
        self._packets = None
        self._stream = None
        if self._container is not None:
            container, self._container = self._container, None
            container.close()


def _say(exc: BaseException) -> str:
    """An FFmpeg error without the URL PyAV appends (it may hold credentials)."""
    if isinstance(exc, av.error.FFmpegError):
        return f"{type(exc).__name__}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"

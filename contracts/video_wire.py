"""Wire framing of one camera's encoded video, from an edge box to the hub.

A stream is a sequence of records, each a fixed 30-byte header and the codec's bitstream
for one picture (a VP8 frame or an H.264 access unit in Annex B). The stream's codec and
resolution travel beside it (HTTP response headers), not in every record. Pure: no I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

WIRE_VERSION = 1
CODECS = ("vp8", "h264")
CLOCK_RATE_HZ = 90_000  # pts unit, the RTP video clock
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
_HEADER = struct.Struct(">BBqqqI")  # version, flags, pts, captured_ms, sequence, length
HEADER_BYTES = _HEADER.size
_KEYFRAME = 0x01


class WireError(ValueError):
    """A record that cannot be read; the message names the bad field and value."""


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    """One encoded picture: ``pts`` in 1/90000 s, ``captured_ms`` Unix epoch ms at capture."""

    data: bytes
    pts: int
    captured_ms: int
    keyframe: bool
    sequence: int


def pack_record(packet: EncodedPacket) -> bytes:
    if len(packet.data) > MAX_PAYLOAD_BYTES:
        raise WireError(f"payload of {len(packet.data)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    flags = _KEYFRAME if packet.keyframe else 0
    header = _HEADER.pack(
        WIRE_VERSION, flags, packet.pts, packet.captured_ms, packet.sequence, len(packet.data)
    )
    return header + packet.data


def unpack_header(header: bytes) -> tuple[int, int, bool, int, int]:
    """(pts, captured_ms, keyframe, sequence, payload length) of a record header."""
    if len(header) != HEADER_BYTES:
        raise WireError(f"record header must be {HEADER_BYTES} bytes, got {len(header)}")
    version, flags, pts, captured_ms, sequence, length = _HEADER.unpack(header)
    if version != WIRE_VERSION:
        raise WireError(f"wire version {version} is not {WIRE_VERSION}")
    if length > MAX_PAYLOAD_BYTES:
        raise WireError(f"payload length {length} exceeds {MAX_PAYLOAD_BYTES}")
    return pts, captured_ms, bool(flags & _KEYFRAME), sequence, length


class RecordReader:
    """Incremental parser: feed bytes as they arrive, take whole packets out."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[EncodedPacket]:
        self._buffer += chunk
        out: list[EncodedPacket] = []
        while len(self._buffer) >= HEADER_BYTES:
            pts, captured_ms, keyframe, sequence, length = unpack_header(
                bytes(self._buffer[:HEADER_BYTES])
            )
            end = HEADER_BYTES + length
            if len(self._buffer) < end:
                break
            data = bytes(self._buffer[HEADER_BYTES:end])
            del self._buffer[:end]
            out.append(EncodedPacket(data, pts, captured_ms, keyframe, sequence))
        return out

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)

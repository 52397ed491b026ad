"""Table tests of the pure pieces: wire framing, the pre-event ring, the picture stamp."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from contracts.video_wire import (
    HEADER_BYTES,
    MAX_PAYLOAD_BYTES,
    EncodedPacket,
    RecordReader,
    WireError,
    pack_record,
    unpack_header,
)
from edge.video.stamp import read_stamp, stamp
from hub.video.ring import PacketRing


def pkt(ms: int, key: bool = False, size: int = 10, seq: int = 0) -> EncodedPacket:
    return EncodedPacket(bytes([ms % 256]) * size, ms * 90, ms, key, seq)


def test_records_round_trip_across_any_split() -> None:
    packets = [pkt(1000 + i * 100, key=i % 3 == 0, size=5 + i, seq=i) for i in range(8)]
    stream = b"".join(pack_record(p) for p in packets)
    for chunk in (1, 7, HEADER_BYTES, 1000):
        reader = RecordReader()
        out = [p for i in range(0, len(stream), chunk) for p in reader.feed(stream[i : i + chunk])]
        assert out == packets
        assert reader.pending_bytes == 0


_H = struct.Struct(">BBqqqI")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"\x01" * 5, f"must be {HEADER_BYTES} bytes, got 5"),
        (_H.pack(2, 0, 0, 0, 0, 1), "wire version 2 is not 1"),
        (_H.pack(1, 0, 0, 0, 0, MAX_PAYLOAD_BYTES + 1), f"length {MAX_PAYLOAD_BYTES + 1} exceeds"),
    ],
)
def test_bad_headers_are_named(header: bytes, message: str) -> None:
    with pytest.raises(WireError, match=message):
        unpack_header(header)


def test_oversized_payload_refused() -> None:
    with pytest.raises(WireError, match="exceeds"):
        pack_record(EncodedPacket(b"x" * (MAX_PAYLOAD_BYTES + 1), 0, 0, True, 0))


def test_ring_starts_at_keyframe_and_keeps_duration() -> None:
    ring = PacketRing(keep_s=2.0)
    ring.add(pkt(0))  # before any keyframe: not kept
    assert len(ring) == 0
    for ms in range(100, 6100, 100):  # a keyframe each second
        ring.add(pkt(ms, key=ms % 1000 == 100))
    held = ring.window(0, 10_000)
    assert held[0].keyframe
    span = held[-1].captured_ms - held[0].captured_ms
    assert 2000 <= span < 3000, span  # at least keep_s, less than keep_s + one GOP


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        (3500, 4500, 3100, 4500),  # widened back to the keyframe at 3100
        (3100, 3100, 3100, 3100),
        (0, 3300, 2100, 3300),  # before the buffer: starts at its oldest keyframe
        (5950, 9000, 5100, 6000),
    ],
)
def test_ring_window(start: int, end: int, first: int, last: int) -> None:
    ring = PacketRing(keep_s=3.0)
    for ms in range(100, 6100, 100):
        ring.add(pkt(ms, key=ms % 1000 == 100))
    got = ring.window(start, end)
    assert (got[0].captured_ms, got[-1].captured_ms) == (first, last)
    assert got[0].keyframe


def test_ring_byte_cap_and_bad_window() -> None:
    ring = PacketRing(keep_s=60.0, max_bytes=5_000)
    for ms in range(0, 10_000, 100):
        ring.add(pkt(ms, key=ms % 1000 == 0, size=100))
    assert ring.bytes_held <= 5_000 + 10 * 100  # cap, give or take the GOP being filled
    assert ring.latest_gop()[0].captured_ms == 9000
    with pytest.raises(ValueError, match="before its start"):
        ring.window(10, 5)
    with pytest.raises(ValueError, match="keep_s must be positive, got 0"):
        PacketRing(0)


@pytest.mark.parametrize("epoch_ms", [0, 1_763_900_000_123, 1_763_900_000_123 + (1 << 32) - 1])
def test_stamp_round_trip_and_scaled(epoch_ms: int) -> None:
    image = np.random.default_rng(1).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    stamp(image, epoch_ms)
    assert read_stamp(image, 640, epoch_ms + 5000) == epoch_ms
    half = image[::2, ::2]
    assert read_stamp(half, 640, epoch_ms - 5000) == epoch_ms


def test_stamp_refuses_small_image() -> None:
    with pytest.raises(ValueError, match="smaller than 320x40"):
        stamp(np.zeros((30, 100, 3), np.uint8), 1)


@pytest.mark.parametrize(
    "path", ["hub/video/ring.py", "contracts/video_wire.py", "edge/video/stamp.py"]
)
def test_pure_modules_import_no_io(path: str) -> None:
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[2] / path).read_text())
    names = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    names |= {
        (n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    }
    assert not names & {"av", "aiortc", "httpx", "fastapi", "asyncio", "socket", "cv2", "redis"}

"""Small JPEG files for tests, with an EXIF block (time and GPS) written byte by byte."""

from __future__ import annotations

import struct


def _rational3(values: tuple[float, float, float]) -> bytes:
    return b"".join(struct.pack("<II", round(v * 10000), 10000) for v in values)


def _dms(deg: float) -> tuple[float, float, float]:
    d = int(deg)
    m = int((deg - d) * 60)
    s = (deg - d - m / 60) * 3600
    return float(d), float(m), s


def exif_block(taken_at: str | None, lon: float | None, lat: float | None) -> bytes:
    """A little-endian TIFF block: IFD0 → Exif IFD (DateTimeOriginal) and GPS IFD."""
    ifd0_at = 8
    n0 = (taken_at is not None) + (lon is not None)
    exif_at = ifd0_at + 2 + 12 * n0 + 4
    exif_len = (2 + 12 + 4 + 20) if taken_at is not None else 0
    gps_at = exif_at + exif_len
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd0_at))
    out += struct.pack("<H", n0)
    if taken_at is not None:
        out += struct.pack("<HHII", 0x8769, 4, 1, exif_at)
    if lon is not None:
        out += struct.pack("<HHII", 0x8825, 4, 1, gps_at)
    out += struct.pack("<I", 0)
    if taken_at is not None:
        out += struct.pack("<H", 1)
        out += struct.pack("<HHII", 0x9003, 2, 20, exif_at + 2 + 12 + 4)
        out += struct.pack("<I", 0)
        out += taken_at.encode()[:19].ljust(19, b" ") + b"\x00"
    if lon is not None and lat is not None:
        data_at = gps_at + 2 + 4 * 12 + 4
        out += struct.pack("<H", 4)
        out += struct.pack("<HHI", 1, 2, 2) + (b"S\x00" if lat < 0 else b"N\x00") + b"\x00\x00"
        out += struct.pack("<HHII", 2, 5, 3, data_at)
        out += struct.pack("<HHI", 3, 2, 2) + (b"W\x00" if lon < 0 else b"E\x00") + b"\x00\x00"
        out += struct.pack("<HHII", 4, 5, 3, data_at + 24)
        out += struct.pack("<I", 0)
        out += _rational3(_dms(abs(lat))) + _rational3(_dms(abs(lon)))
    return bytes(out)


def jpeg(
    taken_at: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    size: int = 2000,
) -> bytes:
    """SOI, an Exif APP1 (when given time or place), filler, EOI: ``size`` bytes or a little more."""
    head = b"\xff\xd8"
    if taken_at is not None or lon is not None:
        body = b"Exif\x00\x00" + exif_block(taken_at, lon, lat)
        head += b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    filler = b"\xff\xfe" + struct.pack(">H", 18) + b"gridwall test pic"[:16]
    pad = max(0, size - len(head) - len(filler) - 2)
    return head + filler + b"\x00" * pad + b"\xff\xd9"

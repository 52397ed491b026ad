"""Time and place a phone wrote into a JPEG photo (EXIF), read without decoding the image.

Pure: bytes in, facts out. The photo itself is stored as it came, EXIF and all; these facts
go on the case beside it so the timeline shows when and where the picture was taken. A photo
without EXIF, or with a broken block, gives empty facts: never an error.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME, _DATETIME_ORIGINAL = 0x0132, 0x9003


@dataclass(frozen=True)
class ExifFacts:
    taken_at: str | None = None
    """As the camera wrote it, local time without a zone: ``YYYY:MM:DD HH:MM:SS``."""
    lon: float | None = None
    lat: float | None = None

    def to_dict(self) -> dict[str, str | float]:
        out: dict[str, str | float] = {}
        if self.taken_at:
            out["exif_taken_at"] = self.taken_at
        if self.lon is not None and self.lat is not None:
            out["exif_lon"], out["exif_lat"] = self.lon, self.lat
        return out


def read_exif(jpeg: bytes) -> ExifFacts:
    tiff = _app1_tiff(jpeg)
    if tiff is None:
        return ExifFacts()
    try:
        return _facts(tiff)
    except (struct.error, IndexError, ValueError, ZeroDivisionError):
        return ExifFacts()


def _app1_tiff(jpeg: bytes) -> bytes | None:
    """The TIFF block of the first Exif APP1 segment, if the file has one."""
    if not jpeg.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 4 <= len(jpeg) and jpeg[i] == 0xFF:
        marker = jpeg[i + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata past here
            return None
        (length,) = struct.unpack(">H", jpeg[i + 2 : i + 4])
        body = jpeg[i + 4 : i + 2 + length]
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            return body[6:]
        i += 2 + length
    return None


class _Tiff:
    def __init__(self, data: bytes) -> None:
        if data[:4] not in (b"II*\x00", b"MM\x00*"):
            raise ValueError("not a TIFF header")
        self.data = data
        self.end = "<" if data[:2] == b"II" else ">"

    def u16(self, at: int) -> int:
        return int(struct.unpack(self.end + "H", self.data[at : at + 2])[0])

    def u32(self, at: int) -> int:
        return int(struct.unpack(self.end + "I", self.data[at : at + 4])[0])

    def ifd(self, at: int) -> dict[int, tuple[int, int, int]]:
        """Tag → (type, count, offset of its value) for the directory at ``at``."""
        out = {}
        for n in range(min(self.u16(at), 512)):
            e = at + 2 + 12 * n
            tag, typ, count = self.u16(e), self.u16(e + 2), self.u32(e + 4)
            size = _SIZES.get(typ, 1) * count
            out[tag] = (typ, count, e + 8 if size <= 4 else self.u32(e + 8))
        return out

    def ascii(self, entry: tuple[int, int, int]) -> str:
        _, count, at = entry
        return self.data[at : at + count].split(b"\x00")[0].decode("ascii", "replace").strip()

    def rationals(self, entry: tuple[int, int, int]) -> list[float]:
        _, count, at = entry
        return [self.u32(at + 8 * k) / self.u32(at + 8 * k + 4) for k in range(count)]


def _facts(data: bytes) -> ExifFacts:
    t = _Tiff(data)
    ifd0 = t.ifd(t.u32(4))
    taken = t.ascii(ifd0[_DATETIME]) if _DATETIME in ifd0 else None
    if _EXIF_IFD in ifd0:
        sub = t.ifd(t.u32(ifd0[_EXIF_IFD][2]))
        if _DATETIME_ORIGINAL in sub:
            taken = t.ascii(sub[_DATETIME_ORIGINAL])
    lon = lat = None
    if _GPS_IFD in ifd0:
        gps = t.ifd(t.u32(ifd0[_GPS_IFD][2]))
        if all(k in gps for k in (1, 2, 3, 4)):
            lat = _degrees(t.rationals(gps[2]), t.ascii(gps[1]) == "S")
            lon = _degrees(t.rationals(gps[4]), t.ascii(gps[3]) == "W")
    return ExifFacts(taken or None, lon, lat)


def _degrees(dms: list[float], negative: bool) -> float:
    d, m, s = [*dms, 0.0, 0.0, 0.0][:3]
    value = round(d + m / 60 + s / 3600, 7)
    return -value if negative else value

"""After-photos: what a responder may upload. Pure: bytes in, a verdict out.

The type is read from the file's first bytes, not trusted from the browser; the message
names the file and the problem so the phone can show it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}


class PhotoRejected(ValueError):
    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Photo:
    name: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(name: str, declared: str | None, data: bytes, max_bytes: int) -> Photo:
    shown = name or "(unnamed)"
    if len(data) == 0:
        raise PhotoRejected(f"photo {shown!r} is empty")
    if len(data) > max_bytes:
        raise PhotoRejected(
            f"photo {shown!r} is {len(data):,} bytes, over the {max_bytes:,}-byte limit", 413
        )
    actual = sniff(data)
    if actual is None:
        raise PhotoRejected(
            f"photo {shown!r} is not a JPEG, PNG or WebP image "
            f"(declared {declared or 'no type'}, starts with {data[:4].hex()})",
            415,
        )
    if declared and declared not in (actual, "application/octet-stream"):
        raise PhotoRejected(
            f"photo {shown!r} says it is {declared} but its bytes are {KINDS[actual]}", 415
        )
    return Photo(shown, actual, data)


def check_photos(
    photos: list[tuple[str, str | None, bytes]], max_bytes: int, max_count: int
) -> list[Photo]:
    if not photos:
        raise PhotoRejected("resolving a case needs at least one after-photo")
    if len(photos) > max_count:
        raise PhotoRejected(f"{len(photos)} photos sent; at most {max_count} per action")
    return [check_photo(n, t, d, max_bytes) for n, t, d in photos]

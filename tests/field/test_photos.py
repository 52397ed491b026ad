"""Table tests: after-photo type and size checks name the file and the problem."""

from __future__ import annotations

import re

import pytest

from hub.push.photos import PhotoRejected, check_photo, check_photos

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
WEBP = b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 100
GIF = b"GIF89a" + b"\0" * 100


@pytest.mark.parametrize(
    ("name", "declared", "data", "expected", "status"),
    [
        ("a.jpg", "image/jpeg", JPEG, "image/jpeg", None),
        ("a.png", "image/png", PNG, "image/png", None),
        ("a.webp", None, WEBP, "image/webp", None),
        ("a.bin", "application/octet-stream", JPEG, "image/jpeg", None),
        (
            "a.gif",
            "image/gif",
            GIF,
            "photo 'a.gif' is not a JPEG, PNG or WebP image (declared image/gif, starts with 47494638)",
            415,
        ),
        (
            "a.png",
            "image/png",
            JPEG,
            "photo 'a.png' says it is image/png but its bytes are JPEG",
            415,
        ),
        (
            "big.jpg",
            "image/jpeg",
            JPEG + b"\0" * 1000,
            "photo 'big.jpg' is 1,104 bytes, over the 1,000-byte limit",
            413,
        ),
        ("", "image/jpeg", b"", "photo '(unnamed)' is empty", 422),
    ],
)
def test_check_photo(
    name: str, declared: str | None, data: bytes, expected: str, status: int | None
) -> None:
    if status is None:
        assert check_photo(name, declared, data, 1000).content_type == expected
    else:
        with pytest.raises(PhotoRejected, match=re.escape(expected)) as info:
            check_photo(name, declared, data, 1000)
        assert info.value.status == status


@pytest.mark.parametrize(
    ("count", "message"),
    [(0, "needs at least one after-photo"), (5, "5 photos sent; at most 4 per action")],
)
def test_photo_count(count: int, message: str) -> None:
    with pytest.raises(PhotoRejected, match=message):
        check_photos([("p.jpg", "image/jpeg", JPEG)] * count, 1000, 4)

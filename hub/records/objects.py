"""The object store that keeps a case's evidence media for its retention: a directory on disk,
content-addressed by SHA-256 (``ab/cd/abcd…``), each object written atomically (a temporary
file in the same directory, flushed and synced, then renamed over the final name), so a
reader sees a whole object or none, and the same bytes are stored once however many cases
name them. S3-compatible storage is the other choice (``hub.records.s3_store``,
``records.media_store: s3``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hub.settings import RecordsSettings

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ObjectError(ValueError):
    """An object name that is not a SHA-256, or stored bytes that no longer match it."""


def check_name(sha256: str) -> None:
    if not SHA256.match(sha256):
        raise ObjectError(f"object name {sha256!r} is not a lower-case hex SHA-256")


class ObjectStore(Protocol):
    """Where evidence objects live: a directory (``DirectoryStore``) or S3
    (``hub.records.s3_store.S3Store``)."""

    def put(self, data: bytes) -> str: ...

    def get(self, sha256: str) -> bytes | None: ...

    def delete(self, sha256: str) -> bool: ...


def open_store(rs: RecordsSettings) -> ObjectStore:
    """The store ``records.media_store`` names."""
    if rs.media_store == "s3" and rs.s3 is not None:
        from hub.records.s3_store import S3Store

        s3 = rs.s3
        return S3Store.connect(s3.endpoint_url, s3.region, s3.bucket, s3.prefix)
    return DirectoryStore(rs.media_dir)


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        check_name(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (once); returns its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        final = self.path(sha)
        if final.exists():
            return sha
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return sha

    def get(self, sha256: str) -> bytes | None:
        """The object's bytes, None if it is not stored; ``ObjectError`` if they changed."""
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ObjectError(f"object {sha256}: stored bytes no longer match their SHA-256")
        return data

    def delete(self, sha256: str) -> bool:
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

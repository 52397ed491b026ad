"""An image folder played as a camera: sorted files at ``fps``, looping if asked."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from edge.sources.base import Frame, SourceEnded, SourceError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


class ImageFolderSource:
    def __init__(self, path: Path, *, fps: float, loop: bool = True) -> None:
        self.name = f"images:{path}"
        self._path = path
        self._fps = fps
        self._loop = loop
        self._files: list[Path] = []
        self._pos = 0
        self._index = 0
        self._next_s = 0.0

    def open(self) -> None:
        if not self._path.is_dir():
            raise SourceError(f"image folder {str(self._path)!r} does not exist")
        self._files = sorted(p for p in self._path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self._files:
            raise SourceError(f"image folder {str(self._path)!r} holds no images")
        self._pos = 0
        self._next_s = time.monotonic()

    def read(self) -> Frame:
        if self._pos >= len(self._files):
            if not self._loop:
                raise SourceEnded(f"{self.name} has ended")
            self._pos = 0
        wait = self._next_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._next_s = max(self._next_s + 1.0 / self._fps, time.monotonic() - 1.0)
        path = self._files[self._pos]
        self._pos += 1
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise SourceError(f"cannot decode image {str(path)!r}")
        self._index += 1
        return Frame(np.asarray(image, np.uint8), int(time.time() * 1000), self._index - 1)

    def close(self) -> None:
        self._files = []

"""What every camera source gives: frames with a capture time, opened and closed explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

TruthItem = tuple[str, tuple[int, int, int, int]]


class SourceError(Exception):
    """A source that cannot be opened or read; the capture loop retries with backoff."""


class SourceEnded(SourceError):
    """A finite source (a file without ``loop``) has no more frames."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured frame: BGR at the stream's own resolution.

    ``captured_ms`` is the frame's time on the Unix epoch (for a synthetic scene that plays
    faster than real time, the scene's own clock mapped onto the epoch). ``truth`` is the
    synthetic scene's ground truth, empty for real cameras.
    """

    image: npt.NDArray[np.uint8]
    captured_ms: int
    index: int
    truth: tuple[TruthItem, ...] = ()


class FrameSource(Protocol):
    name: str

    def open(self) -> None:
        """Connect; raises SourceError with the reason."""
        ...

    def read(self) -> Frame:
        """Block until the next frame; raises SourceError (or SourceEnded)."""
        ...

    def close(self) -> None: ...

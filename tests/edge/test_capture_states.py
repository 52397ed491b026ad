"""The capture loop's reported states: online from the first picture, offline on time even
while it backs off, and a camera that flaps stays one outage."""

from __future__ import annotations

import time

import numpy as np

from edge.capture import CaptureWorker
from edge.sources.base import Frame, SourceError


class Scripted:
    """A source whose opens fail until ``good_after_s``; each open then gives ``pictures``
    pictures before failing (0: forever)."""

    name = "scripted"

    def __init__(self, good_after_s: float, pictures: int = 0) -> None:
        self.start = time.monotonic()
        self.good_after_s = good_after_s
        self.pictures = pictures
        self.left = 0

    def open(self) -> None:
        if time.monotonic() - self.start < self.good_after_s:
            raise SourceError("refused")
        self.left = self.pictures

    def read(self) -> Frame:
        time.sleep(0.02)
        if self.pictures:
            if self.left == 0:
                raise SourceError("garbage")
            self.left -= 1
        return Frame(np.zeros((8, 8, 3), np.uint8), 0, 0)

    def close(self) -> None:
        return None


def _run(source: Scripted, seconds: float, **kw: float) -> list[tuple[float, str]]:
    seen: list[tuple[float, str]] = []
    start = time.monotonic()
    worker = CaptureWorker(
        "cam",
        source,
        None,
        None,
        on_state=lambda _c, s, _r: seen.append((time.monotonic() - start, s)),
        offline_after_s=kw["offline_after_s"],
        reconnect_max_s=kw["reconnect_max_s"],
    )
    worker.start()
    time.sleep(seconds)
    worker.stop()
    return seen


def test_offline_is_said_at_offline_after_s_not_at_the_next_attempt() -> None:
    # attempts at 0, 0.25, 0.75, 1.75 s (backoff 0.25, 0.5, 1, 2): offline due at 0.6 s
    seen = _run(Scripted(good_after_s=99), 1.2, offline_after_s=0.6, reconnect_max_s=4)
    offline = [t for t, s in seen if s == "offline"]
    assert offline and 0.55 <= offline[0] <= 0.75 + 0.3, seen


def test_online_only_from_the_first_picture_and_flapping_is_one_outage() -> None:
    # connects every time but breaks after 2 pictures: still goes offline
    seen = _run(Scripted(good_after_s=0, pictures=2), 2.0, offline_after_s=0.8, reconnect_max_s=0.1)
    states = [s for _, s in seen]
    assert states[0] == "online", seen  # the first picture, not the connect
    assert "offline" in states, seen

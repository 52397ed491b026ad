"""The alarm frames a box keeps for verification: one per (camera, zone, category), the
latest replacing the one before, still there after a restart, clean of drawn boxes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from edge.reference_frames import ReferenceFrames
from edge.zone_verify import AlarmFrame


def _frame(snapshot_id: str, value: int, wh: tuple[int, int] = (320, 180)) -> AlarmFrame:
    image = np.full((wh[1], wh[0], 3), value, np.uint8)
    image[40:80, 60:120] = 255 - value
    return AlarmFrame(
        "cam-01", "ground", "06010", snapshot_id, 1_795_000_000_000, image, ((0.1, 0.2, 0.4, 0.5),)
    )


def test_latest_per_key_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "alarm-frames.sqlite"
    store = ReferenceFrames(path)
    assert store.latest("cam-01", "ground", "06010") is None
    store.keep(_frame("ev-00000001.s1", 40))
    store.keep(_frame("ev-00000001.s2", 90))  # a better snapshot of the same alert
    store.keep(replace(_frame("ev-00000002.s1", 10), category="06901"))
    store.close()
    store = ReferenceFrames(path)
    got = store.latest("cam-01", "ground", "06010")
    assert got is not None
    assert (got.snapshot_id, got.taken_ms, got.boxes_norm) == (
        "ev-00000001.s2",
        1_795_000_000_000,
        ((0.1, 0.2, 0.4, 0.5),),
    )
    assert got.image.shape == (180, 320, 3)
    assert abs(int(got.image[10, 10, 0]) - 90) <= 3  # JPEG at quality 90: the clean frame
    other_got = store.latest("cam-01", "ground", "06901")
    assert other_got is not None and other_got.snapshot_id == "ev-00000002.s1"
    assert store.latest("cam-02", "ground", "06010") is None
    store.close()


def test_a_large_frame_is_kept_at_the_cap_width(tmp_path: Path) -> None:
    store = ReferenceFrames(tmp_path / "f.sqlite", max_width=640)
    store.keep(_frame("ev-00000003.s1", 60, wh=(1280, 720)))
    got = store.latest("cam-01", "ground", "06010")
    assert got is not None and got.image.shape == (360, 640, 3)
    store.close()

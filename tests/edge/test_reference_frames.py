"""The alarm frames a box keeps for verification: one per (camera, zone, category), the
latest replacing the one before (every step in which the alert holds), still there after a
restart, clean of drawn boxes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from edge.alerts import AlertPublisher
from edge.lifecycle import Step
from edge.outbox import Outbox
from edge.pipeline import StepContext
from edge.reference_frames import ReferenceFrames
from edge.rules import Observation
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


def test_the_alarm_frame_follows_the_alert_until_it_ends(tmp_path: Path) -> None:
    """Every ``new`` and ``update`` step hands its frame over (a pile that grows replaces
    the first look at it); ``end`` does not (the problem is no longer seen)."""
    outbox = Outbox(tmp_path / "outbox.sqlite")
    kept: list[tuple[str, int, str | None]] = []
    publisher = AlertPublisher(
        "edge-t1",
        "gw",
        outbox,
        snapshot_max_bytes=200_000,
        snapshot_width=320,
        on_alarm_frame=lambda ctx, sid: kept.append((ctx.step.type, ctx.step.t_ms, sid)),
    )
    image = _frame("x", 80).image
    event = "edge-t1.cam-01.ground.06901.1000"
    box = (((0.1, 0.5, 0.3, 0.8), "gas_cylinder", 0.9),)
    for kind, t_ms, better in (("new", 1000, True), ("update", 6000, False), ("end", 9000, False)):
        obs = Observation(kind != "end", 0.9, attributes={"count": 3})
        step = Step(kind, event, 1000, t_ms, obs, better)  # type: ignore[arg-type]
        publisher.on_step(StepContext("cam-01", "ground", "06901", "x", step, image, box))
    outbox.close()
    assert kept == [("new", 1000, f"{event}.s1000"), ("update", 6000, f"{event}.s1000")]

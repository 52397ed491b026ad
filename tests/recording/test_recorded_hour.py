"""Retention on a recorded hour on disk: at the disk budget the oldest segments go, files
and index rows together, and never a segment an alarm's clip overlaps; the clip export of
the alarm's window still opens afterwards."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import av
import pytest

from edge.recording.recorder import Recorder
from edge.recording.settings import RecordingSettings
from tests.recording.hour import Access, IdleFeed, encoded_loop, record_span

CAM = "cam-01"
TOKEN = "box-token-for-recordings"


@pytest.fixture(scope="module")
def loop() -> list[Access]:
    return encoded_loop()


def recorder_at(root: Path, budget_mb: float) -> Recorder:
    settings = RecordingSettings(
        path=root,
        segment_s=60,
        disk_budget_mb=budget_mb,
        max_age_h=24,
        alarm_pre_s=30,
        alarm_post_s=30,
        retention_interval_s=3600,
    )
    return Recorder(settings, {CAM: IdleFeed()})


def test_retention_at_the_disk_budget_deletes_the_oldest_and_never_an_alarms_clip(
    tmp_path: Path, loop: list[Access]
) -> None:
    start = (int(time.time() * 1000) // 60_000 - 65) * 60_000
    rec = recorder_at(tmp_path / "rec", budget_mb=1000)
    end = record_span(rec, CAM, loop, start, 60)
    # an alarm in minutes 5-6 of the hour: its clip (30 s either side) spans minutes 4 to 6
    rec.index.alarm_began("ev-1", CAM, "z1", "06010", start + 5 * 60_000 + 10_000)
    rec.index.alarm_ended("ev-1", start + 6 * 60_000 + 10_000)
    segments = rec.index.segments(CAM)
    assert len(segments) == 60 and segments[-1].info.end_ms == end
    sizes = [s.info.size_bytes for s in segments]
    total = sum(sizes)
    # a budget for the newest 30 minutes: half the hour must go
    budget = sum(sizes[30:])
    rec.policy = replace(rec.policy, budget_bytes=budget)
    plan = rec.apply_retention()
    kept = [s.path for s in rec.index.segments(CAM)]
    rec.stop()
    on_disk = sorted((tmp_path / "rec" / CAM).glob("*.mp4"))
    assert [p.name for p in on_disk] == sorted(Path(p).name for p in kept)
    minute = {s.info.segment_id: (s.info.start_ms - start) // 60_000 for s in segments}
    gone = sorted(minute[d.segment_id] for d in plan.deletions)
    clip_minutes = [4, 5, 6]
    assert not set(gone) & set(clip_minutes), f"deleted an alarm's clip: {gone}"
    assert all(d.reason == "budget" for d in plan.deletions)
    # the oldest went first: minutes 0-3, then from 7 on, until the rest fit
    assert gone == [0, 1, 2, 3, *range(7, 7 + len(gone) - 4)]
    assert sum(p.stat().st_size for p in on_disk) <= budget < total
    for name in (f"{start + m * 60_000}.mp4" for m in clip_minutes):
        with av.open(str(tmp_path / "rec" / CAM / name)) as c:
            assert c.duration and abs(c.duration / 1e6 - 60) < 1

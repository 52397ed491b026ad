"""The pure rules of a closed case's clip fetch (hub/clipfetch/plan.py), table-tested."""

from __future__ import annotations

from typing import Any

import pytest

from hub.clipfetch.plan import (
    AlarmClip,
    ClipJob,
    ListingError,
    alarms_of_case,
    backoff_ms,
    clip_windows,
    job_for_close,
    still_recording,
)

REC = {"camera_id": "cam-01", "alarm_key": "cam-01:z1:06010", "created_ms": "100000"}


@pytest.mark.parametrize(
    ("record", "want"),
    [
        (REC, ("cam-01", "z1", "06010", 90_000, 500_000, 500_000 + 3_600_000)),
        ({**REC, "created_ms": ""}, ("cam-01", "z1", "06010", 490_000, 500_000, 4_100_000)),
        ({**REC, "created_ms": "x"}, ("cam-01", "z1", "06010", 490_000, 500_000, 4_100_000)),
        ({**REC, "camera_id": ""}, None),  # a person's report: no camera
        ({**REC, "alarm_key": "cam-01:z1"}, None),
        ({**REC, "alarm_key": "cam-01::06010"}, None),
        ({}, None),
    ],
)
def test_a_job_only_for_a_case_born_from_a_camera_alarm(
    record: dict[str, str], want: tuple[Any, ...] | None
) -> None:
    job = job_for_close("C1", record, 500_000, 10_000, 3_600_000)
    got = (
        None
        if job is None
        else (job.camera_id, job.zone_id, job.category, job.from_ms, job.closed_ms, job.deadline_ms)
    )
    assert got == want
    if job is not None:
        assert ClipJob.from_fields({k: str(v) for k, v in job.to_fields().items()}) == job


@pytest.mark.parametrize(
    ("attempts", "want"),
    [(0, 10), (1, 10), (2, 20), (3, 40), (5, 160), (6, 200), (400, 200)],
)
def test_backoff_doubles_up_to_its_cap(attempts: int, want: int) -> None:
    assert backoff_ms(attempts, 10, 200) == want


JOB = ClipJob("C1", "cam-01", "z1", "06010", 1_000, 9_000, 99_000)


def alarm(eid: str, started: int, zone: str = "z1", cat: str = "06010", end: Any = 5) -> Any:
    return {
        "event_id": eid,
        "zone_id": zone,
        "category": cat,
        "started_ms": started,
        "clip_start_ms": started - 1,
        "clip_end_ms": None if end is None else started + end,
        "protected_until_ms": started + 1_000_000,
    }


@pytest.mark.parametrize(
    ("alarms", "want"),
    [
        ([alarm("a", 2_000)], ["a"]),
        ([alarm("b", 3_000), alarm("a", 2_000)], ["a", "b"]),  # oldest first
        ([alarm("a", 2_000, zone="z2")], []),  # another zone's alarm
        ([alarm("a", 2_000, cat="07001")], []),  # another category
        ([alarm("a", 999), alarm("b", 9_001)], []),  # before the case's lead, after its close
        ([alarm("a", 1_000), alarm("b", 9_000)], ["a", "b"]),  # the bounds count
    ],
)
def test_the_alarms_a_close_concerns(alarms: list[Any], want: list[str]) -> None:
    got = alarms_of_case({"alarms": alarms, "segments": []}, JOB)
    assert [a.event_id for a in got] == want


@pytest.mark.parametrize("listing", [{}, {"alarms": [{"zone_id": "z1"}]}, {"alarms": None}])
def test_a_listing_without_usable_alarms_is_refused(listing: Any) -> None:
    with pytest.raises(ListingError, match="no usable alarms"):
        alarms_of_case(listing, JOB)


def clip(start: int, end: int | None) -> AlarmClip:
    return AlarmClip(f"e{start}", start, end, 10**9)


@pytest.mark.parametrize(
    ("alarms", "want"),
    [
        ([clip(0, 100)], [(0, 100)]),
        ([clip(0, 100), clip(50, 150)], [(0, 150)]),  # overlapping: one clip
        ([clip(0, 100), clip(200, 300)], [(0, 100), (200, 300)]),
        ([clip(0, 5_000)], [(0, 1_000)]),  # longer than the box serves: its first part
        ([clip(0, 100), clip(50, None)], ValueError),  # still active
    ],
)
def test_clip_windows(alarms: list[AlarmClip], want: Any) -> None:
    if want is ValueError:
        with pytest.raises(ValueError, match="still active"):
            clip_windows(alarms, 1_000)
    else:
        assert clip_windows(alarms, 1_000) == want


@pytest.mark.parametrize(
    ("segments", "want"),
    [
        ([], False),
        ([{"start_ms": 0, "end_ms": 60, "open": False}], False),
        ([{"start_ms": 90, "end_ms": 150, "open": True}], True),
        ([{"start_ms": 101, "end_ms": 150, "open": True}], False),  # after the window
    ],
)
def test_a_window_still_being_written_waits(segments: list[Any], want: bool) -> None:
    assert still_recording({"segments": segments}, [(10, 100)]) is want

"""The pure rules of fetching a closed case's clip from its camera's box: no Redis, HTTP or
database here (``jobs.py`` and ``fetcher.py`` do those).

- A **job** is made when a case that was born from a camera alarm (its record names the
  camera and an ``alarm_key`` ``camera:zone:category``) is closed.
- The box is asked for its alarms of that camera, zone and category that began between the
  case's creation less ``lead_ms`` and its close: the same alarms the hub's close tells the
  box to release (``hub/video/recording_release.py``, ``edge/recording/index.close_alarms``).
- Each alarm's clip is the window the box itself protects, ``[start - pre, end + post]`` as
  the box reports it (``clip_start_ms``, ``clip_end_ms``): the hub needs no copy of the box's
  pre and post settings. A window longer than the box's clip limit is cut to its first
  ``max_clip_ms``.
- Until the box answers, the job gives up ``give_up_ms`` after the close (the box's keep
  period after a close, 72 h by default); once it has answered, at the earliest
  ``protected_until_ms`` of the alarms: past that the box may have deleted the segments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

STATES = ("pending", "done", "gave_up", "skipped")


class ListingError(ValueError):
    """A box's recordings listing that is not what ``edge/recording/http.py`` serves."""


@dataclass(frozen=True, slots=True)
class ClipJob:
    case_no: str
    camera_id: str
    zone_id: str
    category: str
    from_ms: int
    closed_ms: int
    deadline_ms: int
    attempts: int = 0
    reason: str = ""  # why the last try did not finish it

    def to_fields(self) -> dict[str, str | int]:
        return asdict(self)

    @classmethod
    def from_fields(cls, f: Mapping[str, str]) -> ClipJob:
        return cls(
            case_no=f.get("case_no", ""),
            camera_id=f.get("camera_id", ""),
            zone_id=f.get("zone_id", ""),
            category=f.get("category", ""),
            from_ms=int(f.get("from_ms") or 0),
            closed_ms=int(f.get("closed_ms") or 0),
            deadline_ms=int(f.get("deadline_ms") or 0),
            attempts=int(f.get("attempts") or 0),
            reason=f.get("reason", ""),
        )

    def tried(self, reason: str, deadline_ms: int | None = None) -> ClipJob:
        return replace(
            self,
            attempts=self.attempts + 1,
            reason=reason,
            deadline_ms=self.deadline_ms if deadline_ms is None else deadline_ms,
        )


def job_for_close(
    case_no: str, record: Mapping[str, str], closed_ms: int, lead_ms: int, give_up_ms: int
) -> ClipJob | None:
    """The job of a closed case, None when the case was not born from a camera alarm."""
    camera, key = record.get("camera_id", ""), record.get("alarm_key", "")
    parts = key.split(":")
    if not camera or len(parts) != 3 or not all(parts):
        return None
    try:
        created = int(record.get("created_ms") or closed_ms)
    except ValueError:
        created = closed_ms
    return ClipJob(
        case_no=case_no,
        camera_id=camera,
        zone_id=parts[1],
        category=parts[2],
        from_ms=max(0, created - lead_ms),
        closed_ms=closed_ms,
        deadline_ms=closed_ms + give_up_ms,
    )


def backoff_ms(attempts: int, base_ms: int, cap_ms: int) -> int:
    """The wait before try ``attempts + 1``: doubling from ``base_ms``, at most ``cap_ms``."""
    return int(min(cap_ms, base_ms * 2 ** min(max(attempts - 1, 0), 30)))


@dataclass(frozen=True, slots=True)
class AlarmClip:
    event_id: str
    clip_start_ms: int
    clip_end_ms: int | None  # None: the alarm is still active on the box
    protected_until_ms: int


def alarms_of_case(listing: Mapping[str, Any], job: ClipJob) -> list[AlarmClip]:
    """The alarms of the box's listing that the case's close concerns, oldest first."""
    try:
        out = [
            AlarmClip(
                str(a["event_id"]),
                int(a["clip_start_ms"]),
                None if a.get("clip_end_ms") is None else int(a["clip_end_ms"]),
                int(a["protected_until_ms"]),
            )
            for a in listing["alarms"]
            if a["zone_id"] == job.zone_id
            and a["category"] == job.category
            and job.from_ms <= int(a["started_ms"]) <= job.closed_ms
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ListingError(f"the box's listing has no usable alarms ({exc!r})") from None
    return sorted(out, key=lambda a: (a.clip_start_ms, a.event_id))


def clip_windows(alarms: list[AlarmClip], max_clip_ms: int) -> list[tuple[int, int]]:
    """One window per alarm (overlapping ones merged), each at most ``max_clip_ms``;
    ValueError while one has no end yet."""
    merged: list[list[int]] = []
    for a in alarms:
        if a.clip_end_ms is None:
            raise ValueError(f"alarm {a.event_id} is still active on the box")
        if merged and a.clip_start_ms <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], a.clip_end_ms)
        else:
            merged.append([a.clip_start_ms, a.clip_end_ms])
    return [(t0, min(t1, t0 + max_clip_ms)) for t0, t1 in merged]


def clip_ref(camera_id: str, start_ms: int, end_ms: int) -> str:
    """The ``media.ref`` of a fetched clip (and, ``:`` read as ``-``, its bundle file)."""
    return f"clip:{camera_id}:{start_ms}-{end_ms}"


def still_recording(listing: Mapping[str, Any], windows: list[tuple[int, int]]) -> bool:
    """Whether a segment the box is still writing overlaps a window (try again later: the
    clip's end would be missing)."""
    try:
        spans = [(int(s["start_ms"]), int(s["end_ms"])) for s in listing["segments"] if s["open"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ListingError(f"the box's listing has no usable segments ({exc!r})") from None
    return any(s0 <= t1 and s1 >= t0 for s0, s1 in spans for t0, t1 in windows)

"""How a box records: where, in what segment length, kept how long and in how much disk.

Part of the edge settings model (``recording:`` in the box config); strict like the rest,
numbers bounded, cross-field checks below. Units are in the names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RecordingSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path = Path("../../var/edge/recordings")
    """Folder of the segments and their index (``index.sqlite``); relative to the config file."""
    segment_s: Annotated[float, Field(ge=2, le=3600)] = 60.0
    """A new segment starts at the first keyframe after this long."""
    disk_budget_mb: Annotated[float, Field(ge=1, le=100_000_000)] = 20_000.0
    """The segments of every camera together; past it the oldest unprotected ones go."""
    low_water_percent: Annotated[float, Field(ge=0, le=50)] = 2.0
    """Once over the budget, delete this much more than needed, so retention then finds
    nothing to do for a while (a pass with work lists every segment)."""
    max_age_h: Annotated[float, Field(gt=0, le=24 * 3660)] = 7 * 24.0
    """Segments that ended longer ago than this go (unless an alarm's clip holds them)."""
    alarm_pre_s: Annotated[float, Field(ge=0, le=3600)] = 30.0
    alarm_post_s: Annotated[float, Field(ge=0, le=3600)] = 30.0
    """An alarm's clip: from ``alarm_pre_s`` before the alert began to ``alarm_post_s`` after it
    ended; the segments it overlaps are never deleted while the alarm is protected."""
    keep_after_close_h: Annotated[float, Field(ge=0, le=24 * 3660)] = 72.0
    """How long an alarm's clip stays protected after its case is closed."""
    max_protect_h: Annotated[float, Field(gt=0, le=24 * 3660)] = 30 * 24.0
    """No alarm protects its clip longer than this after it began (a case never closed)."""
    retention_interval_s: Annotated[float, Field(ge=0.1, le=3600)] = 60.0
    """How often retention runs; a pass with work lists every segment (measured in
    ``docs/video.md``: about a second for a month of 16 cameras)."""
    rendition: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")] = "main"
    """For a camera that sends no H.264 of its own (synthetic, file, USB, H.265): the box's
    encoded rendition recorded, the one encoder viewers of that rendition share (the box's
    video ``codec`` must then be ``h264``)."""
    cameras: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]] | None = None
    """The cameras recorded; None: every camera of the box."""
    gap_s: Annotated[float, Field(gt=0, le=600)] = 5.0
    """No packet for this long ends the segment being written (a camera that dropped)."""

    @model_validator(mode="after")
    def _spans(self) -> RecordingSettings:
        if self.max_age_h * 3600 <= 2 * self.segment_s:
            raise ValueError(
                f"max_age_h {self.max_age_h} must exceed two segments ({2 * self.segment_s:g} s)"
            )
        if self.keep_after_close_h > self.max_protect_h:
            raise ValueError(
                f"keep_after_close_h {self.keep_after_close_h} exceeds max_protect_h "
                f"{self.max_protect_h}: the keep period could never run out in full"
            )
        return self

    def resolved(self, base: Path) -> RecordingSettings:
        path = self.path if self.path.is_absolute() else (base / self.path).resolve()
        return self.model_copy(update={"path": path})

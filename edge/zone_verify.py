"""One verification look at a zone, judged: what the camera shows now against the alarm frame.

``ZoneCheck`` is what a pipeline saw on the frame it checked (``CameraPipeline.check_zone``):
the highest confidence of each of the case's detector classes inside the zone, whatever
the alert threshold, and the frame. ``AlarmFrame`` is the latest frame in which the alert
held, kept on the box (``edge.reference_frames``). ``judge`` turns both into evidence
rows with their verify thresholds, measures the scene change (``edge.scene_change``) and
applies the rule (``edge.verify_rule``). No I/O: the agent reads and sends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.scene_change import SceneCompareError, scene_change
from edge.verify_rule import Evidence, Verdict, decide, verify_threshold

Image = npt.NDArray[np.uint8]
XyxyNorm = tuple[float, float, float, float]
LabelledBox = tuple[XyxyNorm, str, float]


@dataclass(frozen=True)
class ZoneCheck:
    image: Image
    """The frame as captured (the verification snapshot is made from it)."""
    small: Image
    """The same frame at detect resolution (compared with the alarm frame)."""
    zone_norm: tuple[tuple[float, float], ...]
    scores: dict[str, float]
    """Each detector class of the case: its highest confidence inside the zone (0 if none)."""
    alert_at: dict[str, float]
    """Each detector class of the case: the zone's alert threshold for it."""
    boxes_norm: tuple[LabelledBox, ...] = ()
    """Every box of the case's classes inside the zone, for the snapshot."""
    haze: tuple[float, float] | None = None
    """A dust zone with a learned haze baseline: (excess over the baseline, alert margin)."""


@dataclass(frozen=True)
class AlarmFrame:
    """The latest frame in which an alert held, clean (no boxes drawn), with its boxes;
    ``snapshot_id`` is the alert's best snapshot when it was kept."""

    camera_id: str
    zone_id: str
    category: str
    snapshot_id: str
    taken_ms: int
    image: Image
    boxes_norm: tuple[XyxyNorm, ...] = ()


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    evidence: tuple[Evidence, ...]
    change: float | None
    change_min: float
    alarm: AlarmFrame | None
    """The alarm frame the zone was compared with (None: none kept)."""


def evidence_of(check: ZoneCheck, ratio: float, floor: float) -> tuple[Evidence, ...]:
    """One row per detector class of the case (verify threshold: ``ratio`` × its alert
    threshold, never under the detector's ``floor``), plus the haze score of a dust zone."""
    rows = [
        Evidence(name, _unit(check.scores.get(name, 0.0)), verify_threshold(at, ratio, floor), at)
        for name, at in sorted(check.alert_at.items())
    ]
    if check.haze is not None:
        excess, margin = _unit(check.haze[0]), _unit(check.haze[1])
        rows.append(Evidence("haze", excess, verify_threshold(margin, ratio, 0.0), margin))
    return tuple(rows)


def _unit(x: float) -> float:
    return min(max(float(x), 0.0), 1.0)


def judge(
    check: ZoneCheck,
    alarm: AlarmFrame | None,
    *,
    ratio: float,
    floor: float,
    change_min: float,
) -> Judgement:
    """The verdict on ``check`` against ``alarm`` (None: the box keeps no alarm frame for
    this zone and category, so the zone cannot be compared and a person decides)."""
    evidence = evidence_of(check, ratio, floor)
    change: float | None = None
    why = "this box keeps no alarm frame for the zone"
    if alarm is not None:
        try:
            measured = scene_change(alarm.image, check.small, check.zone_norm, alarm.boxes_norm)
            change = round(measured, 4)
        except SceneCompareError as exc:
            why = f"the frames cannot be compared: {exc}"
    return Judgement(
        decide(evidence, change, change_min, why),
        evidence,
        change,
        change_min,
        alarm,
    )

"""Field figures: what an operator sees at the alert thresholds, per image, per class.

mAP ranks boxes over all confidences; an alert fires on one image at one threshold. Here each
scored image keeps its detections (confidence, class, whether each matches a truth box at IoU
0.5) and what it shows, so thresholds can be chosen and figures read afterwards without running
the model again:

- **Thresholds** are chosen per class on the *calibration half* of the validation images (a
  fixed half by file name) and every field figure is read on the other, *report* half: the
  figures the card states were not used to choose the thresholds they are read at.
- A class's threshold is the lowest confidence at which its image-level false-alarm rate on the
  calibration images that do not show it stays within the class's budget (`FALSE_ALARM_BUDGET`):
  the most recall the budget allows.
- The confidence -> precision curve (box level, IoU 0.5) says what a detection at a given
  confidence is worth, so an auto-file threshold means something to an operator.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

GRID = tuple(round(0.05 * k, 2) for k in range(1, 20))  # 0.05 .. 0.95
FINE_GRID = tuple(round(0.01 * k, 2) for k in range(5, 96))
# Image-level false-alarm budget per class, on calibration images that do not show the class.
FALSE_ALARM_BUDGET = {"gas_cylinder": 0.03, "waste": 0.07, "dust": 0.05, "overflow": 0.10}
MIN_THRESHOLD = 0.15  # never alert below this, however clean the calibration images look


@dataclass(frozen=True)
class Scored:
    """One validation image after the detector: what it shows and what was found."""

    name: str
    set_name: str
    kind: str  # street photos: garbage / overflow / bins / clean; elsewhere the set name
    truth: npt.NDArray[np.int64]  # truth boxes per class
    conf: npt.NDArray[np.float32]  # detections (conf >= the evaluation floor)
    cls: npt.NDArray[np.int64]
    tp: npt.NDArray[np.bool_]  # matches a truth box of its class at IoU 0.5

    def top(self, c: int) -> float:
        sel = self.conf[self.cls == c]
        return float(sel.max()) if len(sel) else 0.0

    def count(self, c: int, t: float) -> int:
        return int(((self.cls == c) & (self.conf >= t)).sum())


def calibration_half(name: str) -> bool:
    """A fixed half of the images, by file name (the same on every machine and run)."""
    return zlib.crc32(name.encode()) % 2 == 0


def rate(hits: Iterable[bool]) -> tuple[float | None, int]:
    got = list(hits)
    return (float(np.mean(got)) if got else None), len(got)


def choose_threshold(negative_tops: Iterable[float], budget: float) -> float:
    """The lowest threshold on `FINE_GRID` whose false-alarm rate on these images is within
    `budget` (at least `MIN_THRESHOLD`)."""
    tops = np.asarray(list(negative_tops), np.float64)
    for t in FINE_GRID:
        if t < MIN_THRESHOLD:
            continue
        if not len(tops) or float((tops >= t).mean()) <= budget:
            return t
    return FINE_GRID[-1]


def precision_curve(images: Iterable[Scored], c: int) -> list[dict[str, float | int | None]]:
    """Box-level precision and recall (IoU 0.5) of class `c` at each confidence of `GRID`."""
    imgs = list(images)
    conf = np.concatenate([s.conf[s.cls == c] for s in imgs]) if imgs else np.zeros(0)
    tp = np.concatenate([s.tp[s.cls == c] for s in imgs]) if imgs else np.zeros(0, bool)
    n_truth = int(sum(int(s.truth[c]) for s in imgs))
    out: list[dict[str, float | int | None]] = []
    for t in GRID:
        sel = conf >= t
        kept = int(sel.sum())
        out.append(
            {
                "conf": t,
                "detections": kept,
                "precision": float(tp[sel].mean()) if kept else None,
                "recall": float(tp[sel].sum() / n_truth) if n_truth else None,
            }
        )
    return out


Pick = Callable[[Scored], bool]


@dataclass(frozen=True)
class Figure:
    """One image-level figure: on the images `pick` selects, how often class `cls` fires
    (recall when they show it, false-alarm rate when they do not)."""

    key: str
    cls: str
    pick: Pick
    what: str  # "recall" or "false_alarm"
    min_count: int = 1  # detections needed (the stacking rule needs 3 cylinders)


def read_figures(
    images: list[Scored],
    names: tuple[str, ...],
    thresholds: dict[str, float],
    figures: list[Figure],
) -> dict[str, dict[str, float | int | None]]:
    out: dict[str, dict[str, float | int | None]] = {}
    for f in figures:
        c = names.index(f.cls)
        value, n = rate(s.count(c, thresholds[f.cls]) >= f.min_count for s in images if f.pick(s))
        out[f.key] = {"class": f.cls, "what": f.what, "value": value, "images": n}  # type: ignore[dict-item]
    return out


def shows(c: int) -> Pick:
    return lambda s: bool(s.truth[c] > 0)


def lacks(c: int) -> Pick:
    return lambda s: bool(s.truth[c] == 0)


def kind_is(*kinds: str) -> Pick:
    return lambda s: s.kind in kinds


def group_at_least(c: int, n: int) -> Pick:
    return lambda s: bool(s.truth[c] >= n)


def both(a: Pick, b: Pick) -> Pick:
    return lambda s: a(s) and b(s)


def field_figures(names: tuple[str, ...]) -> dict[str, list[Figure]]:
    """The figures the card states, per set."""
    cyl, waste, dust, over = (names.index(n) for n in ("gas_cylinder", "waste", "dust", "overflow"))
    return {
        "street": [
            Figure("garbage_recall", "waste", kind_is("garbage"), "recall"),
            Figure("waste_false_alarm_bins", "waste", kind_is("bins"), "false_alarm"),
            Figure("overflow_recall", "overflow", shows(over), "recall"),
            Figure("overflow_false_alarm_bins", "overflow", kind_is("bins"), "false_alarm"),
            Figure("cylinder_false_alarm", "gas_cylinder", lacks(cyl), "false_alarm"),
            Figure("dust_false_alarm", "dust", lacks(dust), "false_alarm"),
        ],
        "cylinders": [
            Figure("cylinder_recall", "gas_cylinder", shows(cyl), "recall"),
            Figure("group3_recall", "gas_cylinder", group_at_least(cyl, 3), "recall"),
            Figure("group3_rule_recall", "gas_cylinder", group_at_least(cyl, 3), "recall", 3),
            Figure(
                "single_recall",
                "gas_cylinder",
                both(shows(cyl), lambda s: s.truth[cyl] == 1),
                "recall",
            ),
        ],
        "real": [
            Figure("waste_recall", "waste", shows(waste), "recall"),
            Figure("waste_false_alarm", "waste", lacks(waste), "false_alarm"),
            Figure("dust_recall", "dust", shows(dust), "recall"),
            Figure("dust_false_alarm", "dust", lacks(dust), "false_alarm"),
            Figure("cylinder_false_alarm", "gas_cylinder", lacks(cyl), "false_alarm"),
        ],
        "synthetic": [
            Figure("cylinder_recall", "gas_cylinder", shows(cyl), "recall"),
            Figure("cylinder_false_alarm", "gas_cylinder", lacks(cyl), "false_alarm"),
            Figure("waste_recall", "waste", shows(waste), "recall"),
            Figure("waste_false_alarm", "waste", lacks(waste), "false_alarm"),
            Figure("dust_recall", "dust", shows(dust), "recall"),
            Figure("dust_false_alarm", "dust", lacks(dust), "false_alarm"),
        ],
    }


# The sets whose images look like a street camera's view: what a threshold's budget is spent on.
CAMERA_VIEW_SETS = ("street", "cylinders")


def calibration_negatives(images: list[Scored], names: tuple[str, ...], cls: str) -> list[float]:
    """Top confidences of `cls` on the calibration images whose false alarms its budget counts:
    the street-view photos that do not show it (street photos and the cylinder composites made
    of them), not the shared close-ups or the synthetic renders, whose false alarms the card
    reports beside. Waste: photos of overflowing bins are left out (an overflowing bin usually
    has waste on the ground beside it, labelled or not)."""
    c = names.index(cls)
    out = []
    for s in images:
        if not calibration_half(s.name) or s.truth[c] > 0:
            continue
        if s.set_name not in CAMERA_VIEW_SETS:
            continue
        if cls == "waste" and s.kind == "overflow":
            continue
        out.append(s.top(c))
    return out


def choose_thresholds(images: list[Scored], names: tuple[str, ...]) -> dict[str, float]:
    return {
        n: choose_threshold(calibration_negatives(images, names, n), FALSE_ALARM_BUDGET[n])
        for n in names
    }

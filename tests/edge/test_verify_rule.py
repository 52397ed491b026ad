"""Must show: a case verifies by camera only when the detector finds nothing at the lower
verify threshold AND the zone no longer looks like the alarm frame; anything in between goes
to a person. Table tests of ``edge.verify_rule``."""

from __future__ import annotations

import pytest

from edge.verify_rule import Evidence, decide, verify_threshold


def waste(score: float, verify_at: float = 0.2, alert_at: float = 0.4) -> Evidence:
    return Evidence("waste", score, verify_at, alert_at)


# (evidence, change, expected result, words the reason must hold)
DECIDE = [
    # nothing found and the zone changed: the only way to "clear"
    ([waste(0.0)], 0.45, "clear", "zone changed (0.45 >= 0.20)"),
    ([waste(0.19)], 0.20, "clear", "nothing found"),
    # the blind-spot cases: nothing found, the zone still looks like the alarm frame
    ([waste(0.0)], 0.0, "uncertain", "still looks like the alarm frame (change 0.00 < 0.20)"),
    ([waste(0.0)], 0.19, "uncertain", "still looks like the alarm frame"),
    ([waste(0.0)], None, "uncertain", "no alarm frame"),
    # weak detections between the verify and the alert threshold, whatever the scene says
    ([waste(0.2)], 0.9, "uncertain", "waste 0.20 is between its verify threshold 0.20"),
    ([waste(0.39)], 0.9, "uncertain", "and its alert threshold 0.40"),
    ([waste(0.39)], 0.0, "uncertain", "between"),
    # found at the alert threshold: present, changed scene or not
    ([waste(0.4)], 0.9, "present", "waste 0.40 at or above its alert threshold 0.40"),
    ([waste(0.95)], 0.0, "present", "0.95"),
    ([waste(0.95)], None, "present", "0.95"),
    # several classes (the category maps to more than one): each against its own thresholds
    (
        [waste(0.0), Evidence("overflow", 0.3, 0.25, 0.5)],
        0.8,
        "uncertain",
        "overflow 0.30 is between its verify threshold 0.25",
    ),
    (
        [waste(0.3), Evidence("overflow", 0.6, 0.25, 0.5)],
        0.8,
        "present",
        "overflow 0.60 at or above its alert threshold 0.50",
    ),
    (
        [waste(0.1), Evidence("overflow", 0.2, 0.25, 0.5)],
        0.8,
        "clear",
        "nothing found",
    ),
    # the dust rule's haze score is one more row with its own margin
    ([Evidence("dust", 0.0, 0.2, 0.4), Evidence("haze", 0.25, 0.1, 0.2)], 0.6, "present", "haze"),
    ([Evidence("dust", 0.0, 0.2, 0.4), Evidence("haze", 0.15, 0.1, 0.2)], 0.6, "uncertain", "haze"),
]


@pytest.mark.parametrize(("evidence", "change", "result", "words"), DECIDE)
def test_decide(evidence: list[Evidence], change: float | None, result: str, words: str) -> None:
    verdict = decide(evidence, change, 0.2)
    assert (verdict.result, words in verdict.reason) == (result, True), verdict.reason


def test_why_no_change_is_passed_through() -> None:
    verdict = decide([waste(0.0)], None, 0.2, "the current frame is dark")
    assert verdict.result == "uncertain"
    assert verdict.reason.endswith("but the current frame is dark")


# (alert threshold, ratio, detector floor, verify threshold)
THRESHOLDS = [
    (0.4, 0.5, 0.1, 0.2),  # half the alert threshold
    (0.35, 0.5, 0.25, 0.25),  # the detector reports nothing under its floor
    (0.6, 0.25, 0.0, 0.15),
    (0.3, 1.0, 0.0, 0.3),  # ratio 1: the verify threshold is the alert threshold
    (0.2, 0.5, 0.5, 0.2),  # a floor above the alert threshold never lifts it past it
]


@pytest.mark.parametrize(("alert_at", "ratio", "floor", "expected"), THRESHOLDS)
def test_verify_threshold(alert_at: float, ratio: float, floor: float, expected: float) -> None:
    assert verify_threshold(alert_at, ratio, floor) == pytest.approx(expected)


# (call, expected error)
BAD = [
    (lambda: Evidence("waste", 1.2, 0.2, 0.4), "score must be within 0..1, got 1.2"),
    (lambda: Evidence("waste", 0.1, 0.5, 0.4), "verify_at must be within 0..alert_at 0.4"),
    (lambda: Evidence("waste", 0.1, 0.2, 1.5), "alert_at must be within 0..1"),
    (lambda: decide([], 0.5, 0.2), "at least one evidence row"),
    (lambda: decide([waste(0.0)], 1.5, 0.2), "change must be within 0..1, got 1.5"),
    (lambda: decide([waste(0.0)], 0.5, 0.0), "change_min must be within (0, 1]"),
    (lambda: verify_threshold(0.4, 0.0, 0.1), "verify ratio must be within (0, 1], got 0.0"),
]


@pytest.mark.parametrize(("call", "error"), BAD)
def test_bad_inputs_are_refused_with_the_value(call: object, error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("(", r"\(").replace(")", r"\)")):
        call()  # type: ignore[operator]

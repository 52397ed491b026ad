"""Verification by camera: the next step after each answer (or silence), by table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts.config_problems import ConfigError
from hub.domain.verification import (
    Next,
    after_answer,
    answer_due_ms,
    backed_result,
    check_of,
    latest_checks,
    parse_timer,
    timer_member,
)
from hub.settings import load_hub_settings


@pytest.mark.parametrize(
    ("result", "clear_in_a_row", "needed", "expected"),
    [
        ("clear", 1, 3, Next.ASK_AGAIN),
        ("clear", 2, 3, Next.ASK_AGAIN),
        ("clear", 3, 3, Next.VERIFY),
        ("clear", 1, 1, Next.VERIFY),
        ("present", 0, 3, Next.REWORK),
        ("present", 0, 1, Next.REWORK),
        ("error", 0, 3, Next.HUMAN),
        ("uncertain", 0, 3, Next.HUMAN),  # a weak detection or an unchanged zone
        ("uncertain", 0, 1, Next.HUMAN),
        (None, 0, 3, Next.HUMAN),  # no answer before the timeout
        (None, 2, 3, Next.HUMAN),  # silence after two clear checks still needs a human
    ],
)
def test_after_answer(result: str | None, clear_in_a_row: int, needed: int, expected: Next) -> None:
    assert after_answer(result, clear_in_a_row, needed) is expected


@pytest.mark.parametrize(
    ("result", "needed", "error"),
    [
        ("maybe", 3, "unknown verification answer 'maybe'"),
        ("clear", 0, "clear checks needed must be at least 1, got 0"),
    ],
)
def test_after_answer_refuses(result: str, needed: int, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        after_answer(result, 1, needed)


@pytest.mark.parametrize(
    ("requested", "timeout_s", "due"),
    [(1_000, 300, 301_000), (0, 5, 5_000), (10, 0.25, 260)],
)
def test_answer_due(requested: int, timeout_s: float, due: int) -> None:
    assert answer_due_ms(requested, timeout_s) == due


def test_answer_due_refuses_a_non_positive_timeout() -> None:
    with pytest.raises(ValueError, match="must be positive, got 0 s"):
        answer_due_ms(1, 0)


def test_timer_member_round_trip() -> None:
    member = timer_member("vr-33990120261123100001-ab12cd34", "33990120261123100001")
    kind, _, rest = member.partition("|")
    assert kind == "vto"
    assert parse_timer(rest) == ("vr-33990120261123100001-ab12cd34", "33990120261123100001")


@pytest.mark.parametrize("rest", ["", "no-bar", "|33990120261123100001", "vr-1|"])
def test_parse_timer_refuses(rest: str) -> None:
    with pytest.raises(ValueError, match=re.escape("is not 'REQUEST_ID|CASE_NO'")):
        parse_timer(rest)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("0", r"verification.timeout_s: got 0: Input should be greater than or equal to 5"),
        (
            "90000",
            r"verification.timeout_s: got 90000: Input should be less than or equal to 86400",
        ),
        ("soon", r"verification.timeout_s: got 'soon': Input should be a valid number"),
    ],
)
def test_timeout_setting_is_validated(tmp_path: Path, value: str, error: str) -> None:
    cfg = tmp_path / "hub.yaml"
    cfg.write_text(f"district_dir: d\nverification: {{timeout_s: {value}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=error):
        load_hub_settings(cfg)


WASTE_NONE = {"name": "waste", "score": 0.0, "verify_at": 0.175, "alert_at": 0.35}


def answer(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "v": 1,
        "request_id": "vr-33990120261123100001-ab12cd34",
        "box_id": "edge-01",
        "camera_id": "cam-01",
        "zone_id": "ground",
        "category": "06010",
        "result": "clear",
        "confidence": 0.0,
        "snapshot_id": "vr-33990120261123100001-ab12cd34.verify",
        "checked_ms": 1_795_000_000_000,
        "reason": "nothing found at the verify threshold and the zone changed",
        "evidence": [WASTE_NONE],
        "scene_change": 0.41,
        "scene_change_min": 0.2,
        "reference_snapshot_id": "edge-01.cam-01.ground.06010.1.s2",
    }
    base.update(kw)
    return base


# (the box's answer, the result the hub acts on, words of the reason when it is not backed)
BACKED = [
    (answer(), "clear", None),
    (answer(result="present", confidence=0.8), "present", None),
    (answer(result="uncertain", scene_change=0.05), "uncertain", None),
    (answer(result="error", evidence=[], scene_change=None), "error", None),
    # an older box's clear: no scene change, no evidence
    (
        answer(evidence=[], scene_change=None, scene_change_min=None),
        "uncertain",
        "says nothing of the scene",
    ),
    # figures that contradict the clear (a box set to trust its detector alone)
    (answer(scene_change=0.1), "uncertain", "scene change 0.1 is under its threshold 0.2"),
    (answer(evidence=[]), "uncertain", "lists nothing it looked for"),
    (
        answer(evidence=[{**WASTE_NONE, "score": 0.2}]),
        "uncertain",
        "waste scored 0.2, at or above its verify threshold",
    ),
]


@pytest.mark.parametrize(("box_answer", "result", "words"), BACKED)
def test_a_clear_counts_only_when_its_figures_back_it(
    box_answer: dict[str, object], result: str, words: str | None
) -> None:
    got, why = backed_result(check_of(box_answer))
    assert got == result
    assert (why is None) if words is None else (words in (why or "")), why


def test_check_of_keeps_what_an_audit_needs() -> None:
    check = check_of(answer(reason=None))
    assert set(check) == {
        "request_id",
        "camera_id",
        "result",
        "confidence",
        "evidence",
        "scene_change",
        "scene_change_min",
        "snapshot_id",
        "reference_snapshot_id",
        "checked_ms",
    }


def test_latest_checks_come_from_the_last_verification_step() -> None:
    one, two = check_of(answer()), check_of(answer(request_id="vr-2-00000002"))
    weak = check_of(answer(result="uncertain"))
    log = [
        {"action": "resolve", "data": {}},
        {"action": "note", "data": {"verification": "human", "check": weak}},
        {"action": "reopen", "data": {}},
        {"action": "verify", "data": {"checks": [one, two]}},
        {"action": "close", "data": {}},
    ]
    assert latest_checks(log) == [one, two]
    assert latest_checks(log[:3]) == [weak]
    assert latest_checks(log[:1]) == []

"""Verification by camera: the next step after each answer (or silence), by table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts.config_problems import ConfigError
from hub.domain.verification import Next, after_answer, answer_due_ms, parse_timer, timer_member
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

"""Verification by camera: what each answer of the edge box (or its silence) leads to.

After "resolved" the hub asks the box that watches the case's zone to check it again. The
box answers "clear" only when its detector finds nothing of the case's classes even at a
threshold lower than the alert's *and* the zone no longer looks like the alarm frame; a
weak detection or an unchanged zone is "uncertain" (``edge.verify_rule``). K clear answers
in a row verify the case; "present" sends it back to rework; "uncertain", a box that cannot
check ("error") or one that does not answer within the timeout hands the case to a human
(an operator compares the alarm and the after frame side by side in the console and
verifies or sends it back), so a resolved case never waits for a camera that is gone.

A "clear" counts only when it carries the evidence that backs it (``backed_result``): an
older box's "clear" says nothing of the scene, so it goes to a human too. Every answer that
decides a step is kept on the case's log (``check_of``): its result, reason, scores and the
ids of the alarm and after frames, so a camera-verified close can be audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any


class Next(StrEnum):
    VERIFY = "verify"  # K clear checks in a row: verified, then closed
    ASK_AGAIN = "ask_again"  # clear, but fewer than K so far: another check
    REWORK = "rework"  # the camera still sees the problem
    HUMAN = "human"  # no usable answer: an operator verifies


ANSWERS = ("clear", "present", "uncertain", "error")
CHECK_FIELDS = (
    "request_id",
    "camera_id",
    "result",
    "reason",
    "confidence",
    "evidence",
    "scene_change",
    "scene_change_min",
    "snapshot_id",
    "reference_snapshot_id",
    "checked_ms",
)


def after_answer(result: str | None, clear_in_a_row: int, needed: int) -> Next:
    """The step after an answer; ``result`` None means the box did not answer in time.

    ``clear_in_a_row`` counts this answer when it is "clear".
    """
    if needed < 1:
        raise ValueError(f"clear checks needed must be at least 1, got {needed}")
    if result is None or result in ("error", "uncertain"):
        return Next.HUMAN
    if result == "present":
        return Next.REWORK
    if result == "clear":
        return Next.VERIFY if clear_in_a_row >= needed else Next.ASK_AGAIN
    raise ValueError(f"unknown verification answer {result!r}; expected one of {ANSWERS}")


def check_of(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The audit record of one answer (a ``VerifyResponse`` as a dict): the fields that say
    what the camera saw and why it answered so; absent fields are left out."""
    return {k: answer[k] for k in CHECK_FIELDS if answer.get(k) is not None}


def backed_result(check: Mapping[str, Any]) -> tuple[str, str | None]:
    """The answer's result, unless it is a "clear" its own figures do not back: then
    ("uncertain", why). A backed clear names the scene change against the alarm frame, at
    least its threshold, and evidence rows all under their verify thresholds."""
    result = str(check.get("result"))
    if result != "clear":
        return result, None
    change, least = check.get("scene_change"), check.get("scene_change_min")
    if change is None or least is None:
        return "uncertain", "the camera's clear says nothing of the scene against the alarm frame"
    if float(change) < float(least):
        return "uncertain", f"the scene change {change} is under its threshold {least}"
    rows = check.get("evidence") or ()
    if not rows:
        return "uncertain", "the camera's clear lists nothing it looked for"
    for row in rows:
        if float(row["score"]) >= float(row["verify_at"]):
            return (
                "uncertain",
                f"{row['name']} scored {row['score']}, at or above its verify threshold",
            )
    return "clear", None


def latest_checks(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The camera checks behind the latest verification step of a case's log (event dicts,
    oldest first): the K clear checks of a verify, or the one check of a rework or a hand-
    over to a human; [] if the case has none."""
    found: list[dict[str, Any]] = []
    for ev in events:
        data = ev.get("data") or {}
        if data.get("checks"):
            found = [dict(c) for c in data["checks"]]
        elif data.get("check"):
            found = [dict(data["check"])]
    return found


def answer_due_ms(requested_ms: int, timeout_s: float) -> int:
    """When a request not answered by then hands the case to a human."""
    if timeout_s <= 0:
        raise ValueError(f"verification timeout must be positive, got {timeout_s} s")
    return requested_ms + round(timeout_s * 1000)


def timer_member(request_id: str, case_no: str) -> str:
    """The timer that fires when a verification request goes unanswered."""
    return f"vto|{request_id}|{case_no}"


def parse_timer(rest: str) -> tuple[str, str]:
    """``(request_id, case_no)`` from a timer member without its ``vto|`` head."""
    request_id, sep, case_no = rest.rpartition("|")
    if not sep or not request_id or not case_no:
        raise ValueError(f"verification timer {rest!r} is not 'REQUEST_ID|CASE_NO'")
    return request_id, case_no

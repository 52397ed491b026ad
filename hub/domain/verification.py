"""Verification by camera: what each answer of the edge box (or its silence) leads to.

After "resolved" the hub asks the box that watches the case's zone to check it again. K
clear answers in a row verify the case; "present" sends it back to rework; a box that
cannot check ("error") or does not answer within the timeout hands the case to a human
(an operator verifies it from the console), so a resolved case never waits for a camera
that is gone.
"""

from __future__ import annotations

from enum import StrEnum


class Next(StrEnum):
    VERIFY = "verify"  # K clear checks in a row: verified, then closed
    ASK_AGAIN = "ask_again"  # clear, but fewer than K so far: another check
    REWORK = "rework"  # the camera still sees the problem
    HUMAN = "human"  # no usable answer: an operator verifies


ANSWERS = ("clear", "present", "error")


def after_answer(result: str | None, clear_in_a_row: int, needed: int) -> Next:
    """The step after an answer; ``result`` None means the box did not answer in time.

    ``clear_in_a_row`` counts this answer when it is "clear".
    """
    if needed < 1:
        raise ValueError(f"clear checks needed must be at least 1, got {needed}")
    if result is None or result == "error":
        return Next.HUMAN
    if result == "present":
        return Next.REWORK
    if result == "clear":
        return Next.VERIFY if clear_in_a_row >= needed else Next.ASK_AGAIN
    raise ValueError(f"unknown verification answer {result!r}; expected one of {ANSWERS}")


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

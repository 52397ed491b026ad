"""Crash points: named places where a test can make the hub die, to prove that what
follows them is redone on redelivery.

Off unless ``GRIDWALL_HUB_FAULT`` is set (read at every point, so a test may set it
while a hub runs in its process). Its value is ``MODE:POINT`` or ``MODE:POINT@N``:

- ``MODE`` is ``kill`` (the process sends itself SIGKILL: no ``finally``, no cleanup, as
  a power cut or the OOM killer would) or ``raise`` (``Crash`` is raised: a
  ``BaseException``, so no handler of the hub catches it; for tests that run the hub's
  parts in their own process);
- ``POINT`` names the point (``POINTS``);
- ``N`` (default 1): die the N-th time the point is reached in this process.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "GRIDWALL_HUB_FAULT"
POINTS = frozenset(
    {
        # the batch script ran; none of its follow-ups did
        "after_script",
        # a new case is stored with its escalation timer; its follow-up is not marked done
        "after_case_stored",
        # a case event is appended with its side effects (audit, timers, indexes); the
        # caller's next step has not run (a reopen before its dispatch, and so on)
        "after_case_event",
        # every follow-up of the batch is done; the inbox entries are not acknowledged
        "before_ack",
        # hub/records: a batch of case events is written to PostgreSQL, its position and
        # the commit are not
        "records_mid_batch",
    }
)
_hits: Counter[str] = Counter()


class Crash(BaseException):
    """Raised at an armed crash point in ``raise`` mode."""


def crash_point(name: str) -> None:
    """Die here if ``GRIDWALL_HUB_FAULT`` arms this point (see the module's docstring)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    mode, _, target = spec.partition(":")
    point, _, nth = target.partition("@")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] != (int(nth) if nth else 1):
        return
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise Crash(f"crash point {name!r} ({spec})")


def check_env() -> None:
    """Refuse a ``GRIDWALL_HUB_FAULT`` that names no known mode or point (a typo would
    otherwise never fire)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    mode, _, target = spec.partition(":")
    point, _, nth = target.partition("@")
    if mode not in ("kill", "raise") or point not in POINTS or not (nth or "1").isdigit():
        raise ValueError(
            f"{ENV}={spec!r}: expected kill|raise:POINT[@N] with POINT one of {sorted(POINTS)}"
        )


def reset() -> None:
    """Forget how often each point was reached (tests arm a point again)."""
    _hits.clear()

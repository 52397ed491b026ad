"""Every hub loop ends when it is cancelled, even when a library below it lost the cancel.

Python 3.11's ``asyncio.wait_for`` returns the awaited result instead of raising when a
``cancel()`` lands just as the awaited operation completes (fixed in 3.12, where it is built
on ``asyncio.timeout``). redis-py sends every command through ``wait_for`` whenever a socket
timeout is set (its default is 5 s), so a loop cancelled at shutdown could lose the cancel
and go on reading its stream for ever: the shutdown waited for ever.

The request survives in ``Task.cancelling()``. Two defences, used together:

- ``raise_if_cancelled()``: a long-running loop calls it at the top of every turn (and in
  any inner retry loop), so a lost cancel ends the loop one step later;
- ``stop_tasks()``: what the hub's parts stop their tasks with. It cancels, waits, and a
  task still running after a grace period (an unguarded loop lost its cancel) is logged by
  name and cancelled again, so a shutdown is bounded even then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)
GRACE_S = 0.5


def raise_if_cancelled() -> None:
    """Raise ``CancelledError`` when the current task was asked to stop and is still
    running (the cancellation was swallowed below); do nothing otherwise."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError(f"task {task.get_name()!r} was cancelled")


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]], grace_s: float = GRACE_S) -> None:
    """Cancel ``tasks`` and wait until every one has ended, cancelling again any that is
    still running ``grace_s`` after its cancel. Raises the first exception a task ended
    with other than its cancellation, once all have ended."""
    if grace_s <= 0:
        raise ValueError(f"grace_s must be > 0, got {grace_s!r}")
    every = list(tasks)
    pending = {t for t in every if not t.done()}
    for t in pending:
        t.cancel()
    while pending:
        _, pending = await asyncio.wait(pending, timeout=grace_s)
        for t in sorted(pending, key=lambda t: t.get_name()):
            log.error(
                "task %r still ran %.1f s after its cancel (lost below it); cancelling again",
                t.get_name(),
                grace_s,
            )
            t.cancel()
    for t in every:
        exc = None if t.cancelled() else t.exception()
        if exc is not None:
            raise exc

"""A cancelled task stops, even when a library below it lost the cancellation.

Python 3.11's ``asyncio.wait_for`` returns the awaited result instead of raising when a
``cancel()`` lands just as the awaited operation completes (fixed in 3.12, where it is built
on ``asyncio.timeout``). redis-py sends every command through ``wait_for`` whenever a socket
timeout is set, and its default is 5 s, so a hub loop cancelled at shutdown lost the cancel
in a few percent of stops and went on reading its stream: the shutdown waited for ever.

The request survives in ``Task.cancelling()``; a long-running loop calls
``raise_if_cancelled`` after each step so that it always ends.
"""

from __future__ import annotations

import asyncio


def raise_if_cancelled() -> None:
    """Raise ``CancelledError`` when the current task was asked to stop and is still
    running (the cancellation was swallowed below); do nothing otherwise."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError(f"task {task.get_name()!r} was cancelled")

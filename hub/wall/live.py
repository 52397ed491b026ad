"""The wall's live stream: Redis change channel → Server-Sent Events to every monitor.

Each hub worker listens on the change channel once and wakes the local streams of the
walls named in a change. A stream sends the whole wall state (small), so a monitor that
missed events, or reloads, is back in sync with the next message; the event id is the
wall's state version.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from hub.services.cancellation import raise_if_cancelled, stop_tasks
from hub.wall.service import WallNotFound, WallService

log = logging.getLogger(__name__)
KEEPALIVE_S = 15.0


class LiveHub:
    def __init__(self, service: WallService) -> None:
        self.service = service
        self._streams: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        pubsub = self.service.store.redis.pubsub()
        await pubsub.subscribe(self.service.store.channel)
        self._task = asyncio.create_task(self._listen(pubsub))

    async def stop(self) -> None:
        """Stop listening; bounded even when a read below lost the cancel (``stop_tasks``)."""
        if self._task is not None:
            await stop_tasks([self._task])

    async def _listen(self, pubsub: Any) -> None:
        try:
            async for msg in pubsub.listen():
                raise_if_cancelled()
                if msg.get("type") != "message":
                    continue
                try:
                    change = json.loads(msg["data"])
                except ValueError:
                    log.warning("wall change channel: not JSON: %r", msg["data"][:80])
                    continue
                target = change.get("wall")
                for wall, queues in self._streams.items():
                    if target in ("*", wall):
                        for q in queues:
                            _offer(q, change)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def stream(self, wall: str) -> AsyncIterator[str]:
        """SSE text for one monitor: the state now, then the state after each change."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=64)
        self._streams.setdefault(wall, set()).add(queue)
        try:
            yield await self._state_event(wall)
            while True:
                raise_if_cancelled()
                try:
                    change = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                changes = [change]
                while not queue.empty():
                    changes.append(queue.get_nowait())
                for c in changes:
                    if c.get("kind") == "case":
                        yield _event("ticker", c["alarm"], None)
                    elif c.get("kind") == "fleet":
                        yield _event("fleet", c["alarm"], None)
                yield await self._state_event(wall)
        finally:
            self._streams[wall].discard(queue)

    async def _state_event(self, wall: str) -> str:
        try:
            payload = await self.service.payload(wall)
        except WallNotFound:
            return _event("gone", {"wall": wall}, None)
        return _event("state", payload, payload["state"]["version"])


def _offer(queue: asyncio.Queue[dict[str, Any]], change: dict[str, Any]) -> None:
    if queue.full():  # a slow monitor: it only needs the latest state
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
    queue.put_nowait(change)


def _event(name: str, data: dict[str, Any], event_id: int | None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

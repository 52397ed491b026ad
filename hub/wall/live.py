"""The wall's live stream: Redis change channel → Server-Sent Events to every monitor.

Besides the wall's state, a stream sends ``kpis`` (its area's live KPIs, ``hub.kpis``) when
it opens and whenever the KPI follower says the counters moved.

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
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from hub.domain.area import Area
from hub.services.cancellation import raise_if_cancelled, stop_tasks
from hub.wall.service import WallNotFound, WallService

log = logging.getLogger(__name__)
KEEPALIVE_S = 15.0
RETRY_FIRST_S = 0.2  # the first wait before subscribing again; doubles up to the last
RETRY_MAX_S = 5.0


KpiSource = Callable[[Area | None], Awaitable[dict[str, Any]]]
"""The live KPIs a wall of an area shows (``hub.kpis.live``)."""


class LiveHub:
    push_interval_s = 0.25
    """A monitor gets at most one state this often: under an alarm storm the changes of
    that time go out as one state (the latest is all a monitor needs)."""

    def __init__(self, service: WallService, kpis: KpiSource | None = None) -> None:
        self.service = service
        self.kpis = kpis
        self._streams: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._states: dict[str, tuple[float, str]] = {}  # wall: (read began, SSE text)
        self._task: asyncio.Task[None] | None = None
        self.resubscribes = 0  # subscriptions made again after a lost connection

    async def start(self) -> None:
        """Subscribe to the change channel (a Redis that does not answer fails the start)
        and listen from there on, subscribing again whenever the connection is lost."""
        pubsub = await self._subscribe()
        self._task = asyncio.create_task(self._listen(pubsub), name="wall-live")

    async def stop(self) -> None:
        """Stop listening; bounded even when a read below lost the cancel (``stop_tasks``)."""
        if self._task is not None:
            await stop_tasks([self._task])

    async def _subscribe(self) -> Any:
        pubsub = self.service.store.redis.pubsub()
        try:
            await pubsub.subscribe(self.service.store.channel)
        except BaseException:
            await _close(pubsub)
            raise
        return pubsub

    async def _listen(self, pubsub: Any) -> None:
        """Relay changes to the streams; a lost connection (Redis restarted, a failover) is
        subscribed again with backoff, and every stream then resends its wall's state, since
        changes published while the channel was away are not replayed."""
        backoff_s = RETRY_FIRST_S
        try:
            while True:
                raise_if_cancelled()
                try:
                    if pubsub is None:
                        pubsub = await self._subscribe()
                        self.resubscribes += 1
                        log.info("wall change channel subscribed again")
                        backoff_s = RETRY_FIRST_S
                        self._wake_all()
                    await self._relay(pubsub)
                    log.warning("wall change channel: subscription ended; subscribing again")
                except (RedisError, OSError) as exc:
                    log.warning(
                        "wall change channel lost (%s); subscribing again in %.1f s",
                        exc,
                        backoff_s,
                    )
                except Exception:  # the outermost loop of a long-running task
                    log.exception("wall change channel failed; subscribing again")
                await _close(pubsub)
                pubsub = None
                await asyncio.sleep(backoff_s)
                backoff_s = min(backoff_s * 2, RETRY_MAX_S)
        finally:
            await _close(pubsub)

    async def _relay(self, pubsub: Any) -> None:
        async for msg in pubsub.listen():
            raise_if_cancelled()
            if msg.get("type") != "message":
                continue
            try:
                change = json.loads(msg["data"])
            except ValueError:
                log.warning("wall change channel: not JSON: %r", msg["data"][:80])
                continue
            change["_at"] = asyncio.get_running_loop().time()  # when this worker heard it
            target = change.get("wall")
            for wall, queues in self._streams.items():
                if target in ("*", wall):
                    for q in queues:
                        _offer(q, change)

    def _wake_all(self) -> None:
        """Every stream sends its wall's state now (a change naming no kind does just that)."""
        for queues in self._streams.values():
            for q in queues:
                _offer(q, {"wall": "*"})

    async def stream(self, wall: str) -> AsyncIterator[str]:
        """SSE text for one monitor: the state now, then the state after each change."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=64)
        self._streams.setdefault(wall, set()).add(queue)
        area = await self.service.wall_area(wall)
        loop = asyncio.get_running_loop()
        sent = loop.time()
        try:
            yield await self._state_event(wall)
            yield await self._kpi_event(area)
            while True:
                raise_if_cancelled()
                try:
                    change = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                await asyncio.sleep(max(0.0, sent + self.push_interval_s - loop.time()))
                sent = loop.time()
                changes = [change]
                while not queue.empty():
                    changes.append(queue.get_nowait())
                for c in changes:  # a wall with an area hears of its own place only
                    kind, note = c.get("kind"), c.get("alarm") or {}
                    if kind == "case" and self.service.areas.shows(area, note.get("grid_code")):
                        yield _event("ticker", note, None)
                    elif kind == "fleet" and self.service.shows_fleet(area, note):
                        yield _event("fleet", note, None)
                if any(c.get("kind") == "kpis" for c in changes):
                    yield await self._kpi_event(area)
                if any(c.get("kind") != "kpis" for c in changes):
                    heard = max(c.get("_at", math.inf) for c in changes)
                    yield await self._state_event(wall, heard)
        finally:
            self._streams[wall].discard(queue)

    async def _kpi_event(self, area: Area | None) -> str:
        """The wall's area's live KPIs (a comment line when the wall has no KPI source, or
        the counters cannot be read: the panel keeps its figures and its own refresh)."""
        if self.kpis is None:
            return ": no kpis\n\n"
        try:
            return _event("kpis", await self.kpis(area), None)
        except (RedisError, OSError) as exc:
            log.warning("wall live KPIs not read: %s", exc)
            return ": kpis unavailable\n\n"

    async def _state_event(self, wall: str, heard: float = math.inf) -> str:
        """The wall's state as an SSE event. The monitors of one wall (and its consoles)
        wake on the same changes: one of them reads the state, the others take the same
        text, as long as it was read after the newest change they heard (``heard``), so
        none misses one; under an alarm storm this is one read a wall, not one a window."""
        loop = asyncio.get_running_loop()
        cached = self._states.get(wall)
        if cached is not None and cached[0] > heard:
            return cached[1]
        began = loop.time()
        try:
            payload = await self.service.payload(wall)
        except WallNotFound:
            return _event("gone", {"wall": wall}, None)
        text = _event("state", payload, payload["state"]["version"])
        self._states[wall] = (began, text)
        return text


async def _close(pubsub: Any) -> None:
    if pubsub is not None:
        with contextlib.suppress(Exception):
            await pubsub.aclose()


def _offer(queue: asyncio.Queue[dict[str, Any]], change: dict[str, Any]) -> None:
    if queue.full():  # a slow monitor: it only needs the latest state
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
    queue.put_nowait(change)


def _event(name: str, data: dict[str, Any], event_id: int | None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

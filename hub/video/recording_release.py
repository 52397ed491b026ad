"""Tells a camera's box when a case from that camera's alarm is closed.

The box protects an alarm's recorded clip until its case is closed plus a keep period
(``edge/recording/retention.py``); only the hub knows when that is. ``RecordingRelease``
follows the hub's change stream and, for every ``close`` of a case with a camera whose
video comes from a box, posts ``/recordings/{camera}/closed`` to the box with the case's
zone, category, the time it was closed and ``from_ms`` (the case's creation less
``lead_ms``: an alarm may wait for an operator before it becomes a case). A box that does
not answer is tried again a few times; if it never hears, the clip stays protected until
the box's ``max_protect_h``, so nothing is deleted early.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from hub.services.cancellation import raise_if_cancelled
from hub.store.keys import Keys, text_map
from hub.video.registry import VideoRegistry

log = logging.getLogger(__name__)


def case_closed(fields: dict[bytes, bytes]) -> tuple[str, int] | None:
    """``(case_no, closed_ms)`` when a change entry closes a case."""
    if fields.get(b"kind") != b"case":
        return None
    try:
        event = json.loads(fields[b"event"])
        if event.get("action") != "close":
            return None
        return fields[b"case_no"].decode(), int(event["at_ms"])
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


class RecordingRelease:
    def __init__(
        self,
        registry: VideoRegistry,
        redis: Redis,
        keys: Keys,
        *,
        lead_ms: int = 24 * 3_600_000,
        tries: int = 3,
        retry_s: float = 2.0,
    ) -> None:
        self.registry, self.redis, self.keys = registry, redis, keys
        self.lead_ms, self.tries, self.retry_s = lead_ms, tries, retry_s
        self.told = 0
        self._tasks: set[asyncio.Task[bool]] = set()

    async def run(self, start_id: str = "$") -> None:
        """Follow the change stream from ``start_id`` until cancelled."""
        cursor = start_id
        while True:
            raise_if_cancelled()
            try:
                resp: Any = await self.redis.xread(
                    {self.keys.changes: cursor}, count=200, block=1000
                )
            except RedisError as exc:
                log.warning("recording release: reading the change stream failed: %s", exc)
                await asyncio.sleep(1.0)
                continue
            for _stream, entries in resp or []:
                for entry_id, fields in entries:
                    cursor = entry_id
                    found = case_closed(fields)
                    if found is not None:
                        task = asyncio.create_task(self.tell(*found))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)

    async def tell(self, case_no: str, closed_ms: int) -> bool:
        """Post the close to the case camera's box; False when there is none to tell."""
        rec = text_map(await self.redis.hgetall(self.keys.case(case_no)))
        camera, key = rec.get("camera_id", ""), rec.get("alarm_key", "")
        cam = self.registry.settings.cameras.get(camera)
        if cam is None or not cam.url.startswith(("http://", "https://")) or key.count(":") != 2:
            return False
        _, zone, category = key.split(":")
        created = int(rec.get("created_ms") or closed_ms)
        params: dict[str, str | int] = {
            "zone_id": zone,
            "category": category,
            "from_ms": max(0, created - self.lead_ms),
            "closed_ms": closed_ms,
        }
        url = f"{cam.url.rstrip('/')}/recordings/{camera}/closed"
        headers = {"Authorization": f"Bearer {self.registry.edge_token}"}
        async with httpx.AsyncClient(timeout=10) as client:
            for attempt in range(self.tries):
                try:
                    resp = await client.post(url, params=params, headers=headers)
                except httpx.HTTPError as exc:
                    reason = str(exc) or type(exc).__name__
                else:
                    if resp.status_code == 200:
                        self.told += 1
                        return True
                    reason = f"{resp.status_code} {resp.text[:200]}"
                    if resp.status_code in (400, 404):
                        break  # the box will not take it however often it is asked
                if attempt + 1 < self.tries:
                    await asyncio.sleep(self.retry_s)
        log.warning("case %s closed: box of %s not told (%s)", case_no, camera, reason)
        return False

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

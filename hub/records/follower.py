"""The copier running inside the hub: an asyncio task that copies batch after batch (each in
a worker thread: SQLAlchemy and redis-py's blocking clients), waits on the change stream
when there is nothing to copy, and keeps the lag metrics current. A PostgreSQL or Redis
failure is logged and retried; it never stops the hub, whose hot path does not need it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis

from hub.clipfetch.jobs import ClipEnqueuer
from hub.district import District
from hub.records.copier import ZERO, Batch, Copier, stream_id, write_reference
from hub.records.database import migrate, open_engine, safe_url
from hub.records.media import MediaKeeper
from hub.records.objects import open_store
from hub.services.cancellation import raise_if_cancelled
from hub.services.metrics import METRICS
from hub.settings import HubSettings
from hub.store.keys import Keys, text
from hub.store.redis_client import sync_redis

log = logging.getLogger(__name__)
RETRY_S = 2.0
WAIT_MS = 1000


class RecordsFollower:
    def __init__(self, settings: HubSettings, keys: Keys, district: District, r: Redis) -> None:
        url = settings.records.database_url
        if url is None:
            raise ValueError("records are off: no database_url")
        self.url = safe_url(url)
        self.engine = open_engine(url)
        self.sync_redis = sync_redis(settings.redis, socket_timeout=30)
        give_up_ms = int(settings.records.clip_give_up_h * 3_600_000)
        clips = ClipEnqueuer(self.sync_redis, keys, give_up_ms)
        self.store = open_store(settings.records)
        keeper = MediaKeeper(self.sync_redis, keys, self.store, clips)
        self.copier = Copier(self.engine, self.sync_redis, keys, settings.records.batch_max, keeper)
        self.district, self.r, self.k = district, r, keys
        self.position = ZERO
        self.copied = 0

    async def start(self) -> None:
        """Bring the schema to the newest revision and write the district's reference rows;
        a database that cannot be reached stops the hub's start with its reason."""
        try:
            revision = await asyncio.to_thread(migrate, self.engine)
            await asyncio.to_thread(self._reference)
        except Exception as exc:
            raise RuntimeError(f"case history at {self.url}: {exc}") from exc
        log.info("case history at %s, schema %s", self.url, revision)

    def _reference(self) -> None:
        with self.engine.begin() as conn:
            write_reference(conn, self.district)

    async def run(self) -> None:
        while True:
            raise_if_cancelled()
            try:
                batch = await asyncio.to_thread(self.copier.copy_batch)
            except Exception:
                log.exception("copying case events to PostgreSQL failed; retrying")
                await asyncio.sleep(RETRY_S)
                continue
            self._account(batch)
            try:
                await self.refresh_lag()
            except Exception:
                log.exception("reading the change stream's lag failed")
            if batch.busy:
                await asyncio.sleep(RETRY_S / 4)
            elif batch.entries == 0 and not batch.caught_up_from_logs:
                await self._wait_for_news()

    def _account(self, b: Batch) -> None:
        if b.busy:
            return
        self.position = b.position
        self.copied += b.events + b.caught_up_from_logs
        METRICS.records_copied.inc(b.events + b.caught_up_from_logs)

    async def _wait_for_news(self) -> None:
        """Return when the stream has an entry past the position, or after ``WAIT_MS``."""
        try:
            await self.r.xread({self.k.changes: self.position}, count=1, block=WAIT_MS)
        except Exception:
            log.exception("waiting on the change stream failed")
            await asyncio.sleep(RETRY_S)

    async def refresh_lag(self) -> float:
        """The age of the oldest change not yet copied (0 when all is), as the metric
        ``gridwall_hub_records_lag_s``; it grows while PostgreSQL is away, since the
        position is the one last committed."""
        nxt: Any = await self.r.xrange(self.k.changes, min=f"({self.position}", max="+", count=1)
        lag = 0.0
        if nxt:
            secs, micros = await self.r.time()
            now_ms = int(secs) * 1000 + int(micros) // 1000
            lag = max(0, now_ms - stream_id(text(nxt[0][0]))[0]) / 1000.0
        METRICS.records_lag_s.set(lag)
        return lag

    async def stop(self) -> None:
        await asyncio.to_thread(self.engine.dispose)
        self.sync_redis.close()

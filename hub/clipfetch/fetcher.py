"""The worker that fetches closed cases' clips from their boxes into the evidence store.

Runs in the hub beside the records copier (started with the video routes: it needs the
cameras' boxes and the token the hub presents to them). One job at a time: ask the box for
the alarms of the case (``GET /recordings/{camera}``), cut each one's window with the box's
clip export (``GET /recordings/{camera}/clip.mp4``, remuxed on the box, no re-encode), store
the bytes by SHA-256 (``hub.records.objects``) and record a ``media`` row (kind ``clip``,
``ref`` ``clip:{camera}:{t0}-{t1}``) for the case. A box that does not answer, or answers
5xx, is tried again with a doubling wait; a job whose box's protection has run out, or that
the box cannot serve (no such camera, no alarm, nothing recorded: 400 or 404), gives up
with its reason
(logged, kept on the job). None of it is on the case's hot path: the close is long written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert

from hub.clipfetch.jobs import ClipJobs
from hub.clipfetch.plan import (
    ClipJob,
    ListingError,
    alarms_of_case,
    backoff_ms,
    clip_ref,
    clip_windows,
    still_recording,
)
from hub.records.objects import ObjectStore
from hub.records.schema import media
from hub.services.cancellation import raise_if_cancelled
from hub.services.metrics import METRICS
from hub.settings import RecordsSettings
from hub.store.keys import Keys

log = logging.getLogger(__name__)
LEASE_MS = 10 * 60_000  # a claimed job waits this long before another worker may take it
MAX_CLIP_MS = 600_000
POST_MAX_MS = 3_600_000  # the box's largest alarm_post_s  # the box's clip limit (edge/recording/http.py max_clip_s)


class Retry(Exception):
    """The box did not answer (or not yet usefully): try again later; ``deadline_ms`` is
    the box's own end of protection when it told it."""

    def __init__(self, reason: str, deadline_ms: int | None = None) -> None:
        super().__init__(reason)
        self.deadline_ms = deadline_ms


class GiveUp(Exception):
    """The box cannot serve this clip, whenever asked."""


def wall_ms() -> int:
    return int(time.time() * 1000)


class ClipFetcher:
    def __init__(
        self,
        r: Redis,
        keys: Keys,
        engine: Engine,
        store: ObjectStore,
        box_of: Callable[[str], str | None],
        token: str,
        settings: RecordsSettings,
        *,
        now_ms: Callable[[], int] = wall_ms,
        poll_s: float = 1.0,
    ) -> None:
        self.jobs, self.engine, self.store = ClipJobs(r, keys), engine, store
        self.box_of, self.token, self.now_ms, self.poll_s = box_of, token, now_ms, poll_s
        self.base_ms = int(settings.clip_retry_s * 1000)
        self.cap_ms = int(settings.clip_retry_max_s * 1000)
        self.counts = {"done": 0, "retried": 0, "gave_up": 0, "skipped": 0}

    async def run(self) -> None:
        while True:
            raise_if_cancelled()
            try:
                outcome = await self.step()
            except Exception:  # Redis or PostgreSQL away: the job's lease brings it back
                log.exception("clip fetch failed; trying again")
                outcome = None
            if outcome is None:
                await asyncio.sleep(self.poll_s)

    async def step(self) -> str | None:
        """Work on one due job; its outcome (done, retried, gave_up, skipped), None if none."""
        job = await self.jobs.claim(self.now_ms(), LEASE_MS)
        if job is None:
            return None
        box = self.box_of(job.camera_id)
        if box is None:
            return await self._finish(job, "skipped", f"camera {job.camera_id} has no box")
        try:
            if await asyncio.to_thread(self._has_clip, job.case_no):
                return await self._finish(job, "done", "already kept")
            n = await self._fetch(job, box)
        except GiveUp as exc:
            return await self._finish(job, "gave_up", str(exc))
        except Retry as exc:
            return await self._retry(job.tried(str(exc), exc.deadline_ms))
        return await self._finish(job, "done", f"{n} clip(s) kept")

    async def _fetch(self, job: ClipJob, box: str) -> int:
        headers = {"Authorization": f"Bearer {self.token}"}
        base = f"{box.rstrip('/')}/recordings/{job.camera_id}"
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=120.0)) as client:
            # to an hour past the close: the segments of the windows' post parts too
            span = {"start_ms": job.from_ms, "end_ms": job.closed_ms + POST_MAX_MS}
            got = await self._get(client, base, span, headers)
            try:
                listing = got.json()
                alarms = alarms_of_case(listing, job)
            except (ListingError, ValueError) as exc:
                raise GiveUp(str(exc)) from None
            if not alarms:
                raise GiveUp(
                    f"the box holds no alarm of {job.zone_id}/{job.category} on "
                    f"{job.camera_id} between {job.from_ms} and {job.closed_ms}"
                )
            job_deadline = min(a.protected_until_ms for a in alarms)
            try:
                windows = clip_windows(alarms, MAX_CLIP_MS)
            except ValueError as exc:
                raise Retry(str(exc), job_deadline) from None
            try:
                busy = still_recording(listing, windows)
            except ListingError as exc:
                raise GiveUp(str(exc)) from None
            if busy:
                raise Retry("the clip's end is still being recorded on the box", job_deadline)
            rows = []
            for t0, t1 in windows:
                try:
                    got = await self._get(
                        client, f"{base}/clip.mp4", {"start_ms": t0, "end_ms": t1}, headers
                    )
                except Retry as exc:
                    raise Retry(str(exc), job_deadline) from None
                sha = await asyncio.to_thread(self.store.put, got.content)
                rows.append(
                    {
                        "case_no": job.case_no,
                        "ref": clip_ref(job.camera_id, t0, t1),
                        "kind": "clip",
                        "content_type": got.headers.get("content-type", "video/mp4"),
                        "sha256": sha,
                        "bytes": len(got.content),
                        "stored_at": func.now(),
                    }
                )
        await asyncio.to_thread(self._record, rows)
        log.info(
            "case %s: %d clip(s) of %s kept (box protects them until %d)",
            job.case_no,
            len(rows),
            job.camera_id,
            job_deadline,
        )
        return len(rows)

    async def _get(
        self, client: httpx.AsyncClient, url: str, params: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response:
        try:
            resp = await client.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise Retry(f"box did not answer: {str(exc) or type(exc).__name__}") from None
        if resp.status_code == 200:
            return resp
        reason = f"box answered {resp.status_code} on {url.rsplit('/', 1)[-1]}: {resp.text[:200]}"
        if resp.status_code in (400, 404):  # 401/403: a token being fixed; tried again
            raise GiveUp(reason)
        raise Retry(reason)

    def _has_clip(self, case_no: str) -> bool:
        with self.engine.connect() as conn:
            return bool(
                conn.execute(
                    select(func.count())
                    .select_from(media)
                    .where(media.c.case_no == case_no, media.c.kind == "clip")
                ).scalar()
            )

    def _record(self, rows: list[dict[str, Any]]) -> None:
        stmt = insert(media).on_conflict_do_nothing(index_elements=["case_no", "ref"])
        with self.engine.begin() as conn:
            for row in rows:
                conn.execute(stmt.values(**row))

    async def _retry(self, job: ClipJob) -> str:
        now = self.now_ms()
        due = now + backoff_ms(job.attempts, self.base_ms, self.cap_ms)
        if due > job.deadline_ms:
            return await self._finish(
                job,
                "gave_up",
                f"the box's protection ends at {job.deadline_ms}; last try: {job.reason}",
            )
        await self.jobs.retry(job, due)
        self.counts["retried"] += 1
        METRICS.clip_fetches.labels("retried").inc()
        log.info(
            "case %s: clip not fetched yet (%s); next try in %d ms",
            job.case_no,
            job.reason,
            due - now,
        )
        return "retried"

    async def _finish(self, job: ClipJob, state: str, reason: str) -> str:
        await self.jobs.finish(job, state, reason, self.now_ms())
        self.counts[state] += 1
        METRICS.clip_fetches.labels(state).inc()
        if state == "gave_up":
            log.warning(
                "case %s: its clip of %s is not kept: %s", job.case_no, job.camera_id, reason
            )
        return state

"""Status back to the 12345 hotline and department systems by a signed webhook per source.

Two loops per hub process, both on Redis so that nothing is lost when a hub stops:

- the **tap** reads the case change stream in a consumer group (``webhooks``; created when
  the first hub with webhooks starts, from then on no change is missed). For each change of a
  case's state whose case was filed or joined by an import of a configured (source, system),
  it queues one delivery and acknowledges the change in the same transaction. Entries a
  stopped hub had read but not acknowledged are taken over (``XAUTOCLAIM``) after a minute;
  a delivery queued twice keeps its first copy (its id is the change's id and the hook's).
- the **sender** takes due deliveries (``hub.webhooks.outbox``), POSTs each signed
  (``hub.webhooks.signing``), and on failure (no answer, a timeout, any status but 2xx)
  tries again after a doubling backoff, or dead-letters it after ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from hub.domain.clock import Clock
from hub.runtime import HubRuntime
from hub.services.cancellation import raise_if_cancelled, stop_tasks
from hub.store.keys import Keys, text
from hub.webhooks import signing
from hub.webhooks.outbox import Job, Outbox
from hub.webhooks.settings import WebhookSettings

log = logging.getLogger(__name__)
GROUP = "webhooks"
BATCH = 200
CLAIM_IDLE_MS = 60_000
SECRET_MIN = 32


class WebhookConfigError(ValueError):
    """A webhook whose secret is missing or too short (the hub does not start)."""


def load_secrets(
    hooks: list[WebhookSettings], env: Mapping[str, str] | None = None
) -> dict[str, bytes]:
    """Each hook's secret from its environment variable; ``WebhookConfigError`` names the
    first hook whose variable is unset or shorter than 32 characters."""
    env = os.environ if env is None else env
    out = {}
    for i, h in enumerate(hooks):
        value = env.get(h.secret_env, "")
        if len(value) < SECRET_MIN:
            why = "is not set" if not value else f"is {len(value)} characters"
            raise WebhookConfigError(
                f"intake.webhooks[{i}] ({h.hook_id}): ${h.secret_env} {why}; "
                f"the webhook secret must be at least {SECRET_MIN} characters"
            )
        out[h.hook_id] = value.encode()
    return out


def sources_key(prefix: str, source: str) -> str:
    """Intake's hash of the cases a source filed or joined (``IntakeService.sources_key``)."""
    return f"{prefix}:intake:cases:{source}"


class WebhookService:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        hooks: list[WebhookSettings],
        clock: Clock,
        consumer: str,
        *,
        secrets: dict[str, bytes] | None = None,
        wall_s: Callable[[], float] = time.time,
        poll_s: float = 0.2,
    ) -> None:
        self.r, self.k, self.clock, self.consumer = redis, keys, clock, consumer
        self.hooks = {h.hook_id: h for h in hooks}
        self.secrets = load_secrets(hooks) if secrets is None else secrets
        self.outbox = Outbox(redis, keys.prefix)
        self.wall_s, self.poll_s = wall_s, poll_s
        self._tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if not self.hooks:
            return
        try:
            await self.r.xgroup_create(self.k.changes, GROUP, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._http = httpx.AsyncClient(follow_redirects=False)
        self._tasks = [
            asyncio.create_task(self.run_tap(), name="webhook-tap"),
            asyncio.create_task(self.run_sender(), name="webhook-send"),
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        await stop_tasks(tasks)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def run_tap(self) -> None:
        await self.tap_step(start="0")  # our own entries from before a restart
        while True:
            raise_if_cancelled()
            try:
                if await self.tap_step(block_ms=1000) == 0:
                    await self.claim_stale()
            except (RedisError, OSError) as exc:
                log.error("webhooks: reading the change stream failed: %s", exc)
                await asyncio.sleep(0.5)

    async def run_sender(self) -> None:
        while True:
            raise_if_cancelled()
            try:
                if await self.send_due() == 0:
                    await asyncio.sleep(self.poll_s)
            except (RedisError, OSError) as exc:
                log.error("webhooks: taking due deliveries failed: %s", exc)
                await asyncio.sleep(0.5)

    # --- the tap: change stream → queued deliveries ---------------------------------------

    async def tap_step(self, block_ms: int | None = None, start: str = ">") -> int:
        resp: Any = await self.r.xreadgroup(
            GROUP, self.consumer, {self.k.changes: start}, count=BATCH, block=block_ms
        )
        entries = resp[0][1] if resp else []
        await self._queue(entries)
        return len(entries)

    async def claim_stale(self, idle_ms: int = CLAIM_IDLE_MS) -> int:
        res: Any = await self.r.xautoclaim(
            self.k.changes, GROUP, self.consumer, idle_ms, start_id="0-0", count=BATCH
        )
        entries = res[1] if res else []
        await self._queue(entries)
        return len(entries)

    async def _queue(self, entries: list[tuple[Any, dict[Any, Any]]]) -> None:
        if not entries:
            return
        commands: list[Any] = []
        now = self.clock.now_ms()
        for entry_id, f in entries:
            for hook, body in await self._bodies(text(entry_id), f or {}):
                commands += self.outbox.enqueue_commands(body["delivery"], hook, dumps(body), now)
        async with self.r.pipeline(transaction=True) as pipe:
            for c in commands:
                pipe.execute_command(*c)
            pipe.xack(self.k.changes, GROUP, *[i for i, _ in entries])
            await pipe.execute()

    async def _bodies(self, entry_id: str, f: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The deliveries one change makes: a change of state of an imported case."""
        if f.get(b"kind") != b"case" or b"case_no" not in f or b"event" not in f:
            return []
        ev = json.loads(f[b"event"])
        if ev.get("from_state") == ev.get("to_state"):
            return []  # notes, reassignments, hand-overs: not a status change
        no = text(f[b"case_no"])
        out = []
        for hook_id, h in self.hooks.items():
            ref = await self.r.hget(sources_key(self.k.prefix, h.source), no)
            system, _, external = text(ref).partition(":") if ref is not None else ("", "", "")
            if system != h.system or not external:
                continue
            body = {
                "delivery": f"{entry_id}.{hook_id}",
                "source": h.source,
                "system": h.system,
                "external_ref": external,
                "case_no": no,
                "action": ev.get("action"),
                "from_state": ev.get("from_state"),
                "state": ev.get("to_state"),
                "at_ms": ev.get("at_ms"),
                "reason": ev.get("reason"),
            }
            out.append((hook_id, body))
        return out

    # --- the sender: due deliveries → signed POSTs ----------------------------------------

    async def send_due(self) -> int:
        if self._http is None:
            raise RuntimeError("the webhook service is not started")
        longest = max(h.timeout_s for h in self.hooks.values())
        jobs = await self.outbox.claim(self.clock.now_ms(), int(longest * 1000) + 5000)
        await asyncio.gather(*(self._send(j) for j in jobs))
        return len(jobs)

    async def _send(self, job: Job) -> None:
        h = self.hooks.get(job.hook)
        if h is None:  # a hook removed from the settings: its deliveries wait, visibly
            log.warning("webhooks: delivery %s is for %s, not configured", job.delivery, job.hook)
            return
        assert self._http is not None
        body = job.body.encode()
        sent = signing.headers(self.secrets[h.hook_id], int(self.wall_s()), body, job.delivery)
        error = None
        try:
            r = await self._http.post(h.url, content=body, headers=sent, timeout=h.timeout_s)
            if not r.is_success:
                error = f"HTTP {r.status_code} from {h.url}: {r.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__} posting to {h.url}: {exc}"
        now = self.clock.now_ms()
        if error is None:
            await self.outbox.delivered(job, now)
            return
        attempts = job.attempts + 1
        retry = None
        if attempts < h.max_attempts:
            retry = now + signing.backoff_ms(attempts, h.backoff_s, h.backoff_max_s)
        log.warning(
            "webhooks: delivery %s attempt %d failed: %s%s",
            job.delivery,
            attempts,
            error,
            "" if retry else " (dead-lettered)",
        )
        await self.outbox.failed(job, error, now, retry)


def for_runtime(rt: HubRuntime, secrets: dict[str, bytes] | None = None) -> WebhookService:
    """The service of a hub runtime: its Redis, keys, clock and ``intake.webhooks``."""
    return WebhookService(
        rt.redis,
        rt.keys,
        rt.settings.intake.webhooks,
        rt.clock,
        f"{rt.client_id}-webhooks",
        secrets=secrets,
    )


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

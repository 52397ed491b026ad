"""The hubs of one shared-subscription group, as the broker sees them, and what becomes of
the session of a hub that is gone.

Mosquitto hands the group's messages round-robin to every session in the group, connected
or not: a session whose hub is away goes on receiving its share, queued, until it expires,
and what it held is dropped with it, never given to another member. So every hub session
says what it is, in a retained record on ``{prefix}/hub/members/{group}/{client id}``:

- ``live``: published on every connect (the link's birth record);
- ``dead``: the last will, published by the broker ``sweep_after_s`` after the hub's
  connection is gone (killed, crashed, cut off) unless it came back by then;
- ``stopping``, then nothing (the record is cleared) or ``parked``: a clean stop.

A live hub takes over the session of a ``dead`` or ``parked`` member (it connects with that
client id), unsubscribes it, moves everything it still held into Redis through the usual
ingest, ends it (DISCONNECT with session expiry 0) and clears its record: the dead hub's
share is back with the live ones and what it held is in the inbox. One live member does
it, picked by the session's name, so two do not fight over it; if the owner comes back
meanwhile it takes its session back (the broker ends the sweeper's connection) and the
sweep stops.

A clean stop (``leave``): if another hub of the group is live, the stopping hub leaves the
group (unsubscribe, everything the session still held acknowledged, session ended); if it
is the last, it parks: its session stays (``session_expiry_s``) so the broker keeps
queueing the group's messages until a hub is back, and the next live hub (itself after a
restart) resumes or sweeps it. A group with no session would have its messages dropped
by the broker, and the boxes forget what the broker acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from hub.domain.clock import Clock
from hub.services.cancellation import raise_if_cancelled, stop_tasks
from hub.services.context import HubContext
from hub.services.ingest import Ingest
from hub.services.metrics import METRICS
from hub.services.mqtt_link import MqttLink, Will
from hub.store.keys import Keys

log = logging.getLogger(__name__)
STATES = frozenset({"live", "stopping", "parked", "dead"})
SETTLE_S = 0.3  # a stopping hub waits this long for a peer stopping at the same moment
QUIET_S = 0.5  # a leaving session with nothing unacknowledged and this quiet has nothing more
LEAVE_TIMEOUT_S = 5.0  # a clean stop that cannot drain by then parks instead
SWEEP_TIMEOUT_S = 60.0
RETRY_S = 10.0


def members_filter(prefix: str, group: str) -> str:
    return f"{prefix}/hub/members/{group}/+"


def member_topic(prefix: str, group: str, client_id: str) -> str:
    return f"{prefix}/hub/members/{group}/{client_id}"


@dataclass(frozen=True, slots=True)
class Record:
    """One hub session's retained record."""

    state: str
    filters: tuple[str, ...] = ()
    host: str = ""
    pid: int = 0

    def encode(self) -> bytes:
        return json.dumps(
            {"state": self.state, "filters": self.filters, "host": self.host, "pid": self.pid}
        ).encode()

    @classmethod
    def decode(cls, payload: bytes) -> Record | None:
        try:
            d = json.loads(payload)
            state = d["state"]
            filters = tuple(str(f) for f in d.get("filters", ()))
            rec = cls(state, filters, str(d.get("host", "")), int(d.get("pid", 0)))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return rec if state in STATES else None


class Membership:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        ctx: HubContext,
        clock: Clock,
        client_id: str,
        filters: list[str],
    ) -> None:
        """``client_id``: this hub's session; ``filters``: every filter it subscribes."""
        s = ctx.settings.mqtt
        self.r, self.k, self.ctx, self.clock = redis, keys, ctx, clock
        self.client_id = client_id
        self.prefix, self.group = s.topic_prefix, s.shared_group
        self.filter = members_filter(self.prefix, self.group)
        self.filters = [*filters, self.filter]
        self.members: dict[str, Record] = {}
        self.link: MqttLink | None = None
        self._changed = asyncio.Event()
        self._retry_at: dict[str, float] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._host = socket.gethostname()

    # --- what the hub's link carries --------------------------------------------------------
    def record(self, state: str) -> bytes:
        return Record(state, tuple(self.filters), self._host, os.getpid()).encode()

    def topic(self, client_id: str) -> str:
        return member_topic(self.prefix, self.group, client_id)

    def will(self) -> Will:
        delay = self.ctx.settings.mqtt.sweep_after_s
        return Will(self.topic(self.client_id), self.record("dead"), delay)

    def birth(self) -> tuple[str, bytes]:
        return self.topic(self.client_id), self.record("live")

    def on_record(self, topic: str, payload: bytes) -> None:
        """A member's retained record arrived (an empty one: the member is gone)."""
        cid = topic.rsplit("/", 1)[-1]
        rec = Record.decode(payload) if payload else None
        if rec is None:
            self.members.pop(cid, None)
        else:
            self.members[cid] = rec
        self._changed.set()

    # --- lifecycle --------------------------------------------------------------------------
    def start(self, link: MqttLink) -> None:
        self.link = link
        self._tasks = [asyncio.create_task(self._sweep_loop(), name="sweep")]

    async def leave(self) -> bool:
        """Before a clean stop, with ingest still running: leave the group if another hub is
        live (True: end the session on disconnect), else park (False: keep it)."""
        self._stopping = True
        await stop_tasks(self._tasks)
        self._tasks = []
        link = self.link
        if link is None or not link.connected.is_set():
            return False  # the will says dead in sweep_after_s; a live hub sweeps
        me = self.topic(self.client_id)
        if self._others_live():
            await link.publish_acked(me, self.record("stopping"), retain=True)
            await asyncio.sleep(SETTLE_S)  # a peer stopping now says so meanwhile
        if not self._others_live():
            await link.publish_acked(me, self.record("parked"), retain=True)
            log.info("last live hub of group %r: session %s kept", self.group, self.client_id)
            return False
        t0 = time.monotonic()
        if not await link.leave(self.filters, quiet_s=QUIET_S, timeout_s=LEAVE_TIMEOUT_S):
            await link.publish_acked(me, self.record("parked"), retain=True)
            log.warning("session %s did not drain in time: parked for a live hub", link.client_id)
            return False
        await link.publish_acked(me, b"", retain=True)
        log.info("left group %r in %.2f s; session ended", self.group, time.monotonic() - t0)
        return True

    async def stop(self) -> None:
        self._stopping = True
        await stop_tasks(self._tasks)
        self._tasks = []

    # --- sweeping -----------------------------------------------------------------------------
    def _others_live(self) -> list[str]:
        return [c for c, r in self.members.items() if r.state == "live" and c != self.client_id]

    def _sweeper_of(self, client_id: str) -> str | None:
        """The live member that sweeps ``client_id``: spread by the session's name."""
        live = sorted({*self._others_live(), self.client_id})
        n = int(hashlib.sha1(client_id.encode()).hexdigest()[:8], 16)
        return live[n % len(live)]

    def _due(self) -> list[tuple[str, Record]]:
        now = time.monotonic()
        return [
            (cid, rec)
            for cid, rec in sorted(self.members.items())
            if rec.state in ("dead", "parked")
            and cid != self.client_id
            and self._retry_at.get(cid, 0.0) <= now
            and self._sweeper_of(cid) == self.client_id
        ]

    async def _sweep_loop(self) -> None:
        while True:
            raise_if_cancelled()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 1.0)
            self._changed.clear()
            if self._stopping or self.link is None or not self.link.connected.is_set():
                continue
            for cid, rec in self._due():
                if self._stopping:
                    break
                try:
                    done = await self.sweep(cid, rec)
                except Exception:  # the outermost loop: a failed sweep is tried again later
                    log.exception("sweep of session %s failed", cid)
                    done = False
                if not done:
                    self._retry_at[cid] = time.monotonic() + RETRY_S

    async def sweep(self, client_id: str, rec: Record) -> bool:
        """Take over ``client_id``'s session, move what it holds into Redis, end it and
        clear its record. False if it could not (retried later) or its owner came back."""
        s = self.ctx.settings
        t0 = time.monotonic()
        link = MqttLink(
            s.mqtt,
            client_id,
            [],
            exact_id=True,
            receive_maximum=s.ingest.receive_maximum,
            session_expiry_s=s.mqtt.session_expiry_s,
            side=(self.filter, None),  # records queued for it: acknowledged and dropped
            reconnect=False,
        )
        ingest = Ingest(self.r, self.k, self.ctx, link, self.clock, per_hub_kinds=False)
        link.start()
        task = asyncio.create_task(ingest.run(), name=f"sweep-ingest-{client_id}")
        ended = False
        try:
            try:
                await asyncio.wait_for(link.connected.wait(), 10)
            except TimeoutError:
                log.warning("could not take over session %s: no connection", client_id)
                return False
            drained = True
            if link.session_present:
                filters = list(rec.filters) or list(self.filters)
                drained = await link.leave(filters, quiet_s=QUIET_S, timeout_s=SWEEP_TIMEOUT_S)
            if link.taken_over or not drained:
                log.warning(
                    "sweep of session %s stopped (its hub is back or it is slow)", client_id
                )
                return False
            await stop_tasks([task])
            link.stop(end_session=True)
            ended = True
        finally:
            await stop_tasks([task])
            if not ended:
                link.stop()
        assert self.link is not None
        await self.link.publish_acked(self.topic(client_id), b"", retain=True)
        self.members.pop(client_id, None)
        METRICS.sessions_swept.inc()
        METRICS.swept_messages.inc(link.received)
        log.warning(
            "took over the session of %s hub %s (%s, pid %d): %d message(s) into Redis, "
            "session ended, %.2f s",
            rec.state,
            client_id,
            rec.host,
            rec.pid,
            link.received,
            time.monotonic() - t0,
        )
        return True

"""The hub's running parts wired together: Redis, MQTT, ingest, correlation, timers.

``HubRuntime`` is what the app's lifespan starts and stops; tests start one directly with
a fake clock and call ``timers.run_due()`` instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from hub.district import District, load_district
from hub.domain.clock import Clock, SystemClock
from hub.kpis.counters import KpiCounters, kpi_plan
from hub.kpis.follower import KpiFollower
from hub.services import faults
from hub.services.cancellation import stop_tasks
from hub.services.cases import CaseService
from hub.services.context import HubContext
from hub.services.ingest import Ingest, subscriptions
from hub.services.instance import Instance, claim, host_name
from hub.services.membership import Membership
from hub.services.mqtt_link import MqttLink, session_client_id
from hub.services.processor import Processor
from hub.services.timers import Timers
from hub.settings import HubSettings
from hub.store.cases import CaseStore
from hub.store.keys import Keys
from hub.store.redis_client import hub_redis
from hub.supervision.service import Supervision

if TYPE_CHECKING:
    from hub.records.follower import RecordsFollower

log = logging.getLogger(__name__)


class HubRuntime:
    def __init__(
        self,
        settings: HubSettings,
        *,
        district: District | None = None,
        clock: Clock | None = None,
        mqtt: bool = True,
        workers: bool = True,
        timer_loop: bool = True,
    ) -> None:
        self.settings = settings
        self.district = district or load_district(settings.district_dir)
        self.ctx = HubContext(settings, self.district)
        self.clock = clock or SystemClock()
        self.keys = Keys.for_district(settings.redis.key_prefix, self.district.county.code)
        self.redis = hub_redis(settings.redis)
        self.store = CaseStore(self.redis, self.keys, settings.ingest.changes_max)
        # the instance name is claimed at start (hub.services.instance); until then a pinned
        # client id or a placeholder names the consumer
        self.client_id = settings.mqtt.client_id or f"hub-{host_name()}"
        self.instance: Instance | None = None
        self.link: MqttLink | None = None
        self.membership: Membership | None = None
        self._end_session = False
        self.cases = CaseService(self.redis, self.keys, self.store, self.ctx, self.clock, None)
        self.processor = Processor(
            self.redis,
            self.keys,
            self.ctx,
            self.cases,
            self.clock,
            self.client_id,
            claim_idle_ms=int(settings.correlation.claim_idle_s * 1000),
        )
        self.timers = Timers(self.redis, self.keys, self.ctx, self.cases, self.clock)
        # live wall KPIs: counters folded from the change stream (hub/kpis)
        self.kpis = KpiCounters(self.redis, self.keys, kpi_plan(self.ctx, self.district))
        self.kpi_follower = KpiFollower(
            self.redis, self.keys, self.store, self.kpis, self.clock, f"{self.client_id}-kpis"
        )
        self.supervision = Supervision(
            self.redis, self.keys, self.store, self.cases, self.ctx, self.clock
        )
        # the case history in PostgreSQL (hub/records): off while no database URL is set
        self.records: RecordsFollower | None = None
        if settings.records.database_url:
            # imported here: SQLAlchemy and Alembic cost a hub without records start-up time
            from hub.records.follower import RecordsFollower

            self.records = RecordsFollower(settings, self.keys, self.district, self.redis)
        self._want_mqtt = mqtt
        self._want_workers = workers
        self._want_timer_loop = timer_loop
        self._tasks: list[asyncio.Task[None]] = []

    def subscriptions(self) -> tuple[list[str], list[str]]:
        """(per-hub filters, wide shared filters): see ``hub.services.ingest``."""
        return subscriptions(self.settings.mqtt)

    async def start(self) -> None:
        faults.check_env()
        problems = self.ctx.problems()
        if problems:
            raise ValueError("; ".join(problems))
        await self.redis.ping()
        await self.processor.ensure_group()
        if self.records is not None:
            await self.records.start()
        self.instance = claim(self.settings.mqtt)
        self.client_id = self.processor.consumer = self.instance.name
        if self._want_mqtt:
            s = self.settings
            per_hub, wide = self.subscriptions()
            session = session_client_id(self.client_id, per_hub, wide)
            members = Membership(
                self.redis, self.keys, self.ctx, self.clock, session, [*per_hub, *wide]
            )
            self.link = MqttLink(
                s.mqtt,
                session,
                per_hub,
                exact_id=True,
                wide_subscriptions=wide,
                receive_maximum=s.ingest.receive_maximum,
                session_expiry_s=s.mqtt.session_expiry_s,
                will=members.will(),
                birth=members.birth(),
                side=(members.filter, members.on_record),
            )
            log.info("MQTT session %s (group %r)", session, s.mqtt.shared_group)
            self.membership = members
            self.cases.publisher = self.link
            self.link.start()
            ingest = Ingest(self.redis, self.keys, self.ctx, self.link, self.clock)
            self._tasks.append(asyncio.create_task(ingest.run(), name="ingest"))
            await asyncio.wait_for(self.link.connected.wait(), timeout=10)
            members.start(self.link)
        if self._want_workers:
            self._tasks.append(asyncio.create_task(self.processor.run(), name="correlate"))
            self.kpi_follower.consumer = f"{self.client_id}-kpis"
            await self.kpi_follower.ensure_group()  # from here on no case event is missed
            self._tasks.append(asyncio.create_task(self.kpi_follower.run(), name="kpis"))
        if self._want_timer_loop:
            self._tasks.append(asyncio.create_task(self.timers.run(), name="timers"))
            self._tasks.append(asyncio.create_task(self.supervision.run(), name="supervision"))
        if self.records is not None and self._want_workers:
            self._tasks.append(asyncio.create_task(self.records.run(), name="records"))

    async def stop(self) -> None:
        if self.membership is not None:
            # before ingest stops: a hub leaving the group drains its session into Redis
            try:
                self._end_session = await self.membership.leave()
            except Exception:  # the stop goes on; the session is kept for a restart or a sweep
                log.exception("leaving the MQTT group failed; session kept")
                self._end_session = False
        tasks, self._tasks = self._tasks, []
        await stop_tasks(tasks)
        if self.link is not None:
            self.link.stop(end_session=self._end_session)
        if self.instance is not None:
            self.instance.release()
        if self.records is not None:
            await self.records.stop()
        await self.redis.aclose()

    async def __aenter__(self) -> HubRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

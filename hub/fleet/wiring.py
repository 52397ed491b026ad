"""The field parts started with the hub: push fan-out, fleet watch and zone editor, enrolment.

``FieldServices.start`` builds them from the hub's settings and runtime and puts them on
``app.state`` for their routers; ``stop`` ends their tasks and MQTT clients. The app's
lifespan calls both; tests that build their own runtime call them directly.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI

from hub.domain.push_policy import PushPolicy, PushPolicyConfig
from hub.enrol.service import EnrolService
from hub.fleet.link import FleetLink
from hub.fleet.service import FleetService
from hub.push.channels import LiveChannel, PushChannel, WebPushChannel
from hub.push.fanout import PushFanout
from hub.push.mqtt_channel import MqttPushChannel
from hub.push.subscriptions import SubscriptionStore
from hub.push.webpush import VapidKey, WebPushSender
from hub.runtime import HubRuntime
from hub.services.cancellation import stop_tasks
from hub.zones.service import ZoneService

log = logging.getLogger(__name__)


def load_vapid(rt: HubRuntime) -> VapidKey | None:
    s = rt.settings.push
    if s.vapid_key_file is None:
        if rt.settings.demo_mode:
            path = Path("var/vapid-demo.pem")
            if not path.exists():
                VapidKey.generate(s.vapid_subject).save(path)
            return VapidKey.load(path, s.vapid_subject)
        log.warning("push.vapid_key_file is not set: Web Push is off (MQTT and live pushes work)")
        return None
    return VapidKey.load(s.vapid_key_file, s.vapid_subject)


class FieldServices:
    def __init__(self, rt: HubRuntime, *, mqtt: bool = True) -> None:
        self.rt = rt
        self.mqtt = mqtt
        self.tasks: list[asyncio.Task[None]] = []
        self.mqtt_push: MqttPushChannel | None = None
        self.fleet_link: FleetLink | None = None
        self.fanout: PushFanout | None = None
        self.fleet: FleetService | None = None
        self.enrol: EnrolService | None = None
        self.zones: ZoneService | None = None
        self.vapid: VapidKey | None = None

    async def start(self, app: FastAPI | None = None) -> None:
        rt, s = self.rt, self.rt.settings
        prefix = s.mqtt.topic_prefix
        if self.mqtt:
            self.fleet_link = FleetLink(s.mqtt, f"{rt.client_id}-fleet", asyncio.get_running_loop())
            self.fleet_link.start()
        self.fleet = FleetService(
            rt.redis,
            rt.keys,
            rt.district,
            s.fleet,
            rt.clock,
            prefix,
            self.fleet_link,
            s.ingest.changes_max,
        )
        self.zones = ZoneService(rt.redis, rt.keys, rt.district, rt.ctx, self.fleet)
        kept = await self.zones.load()
        if kept:
            log.info("zones set in the zone editor for %d camera(s) placed", kept)
        if self.fleet_link is not None:
            self.fleet_link.listeners.append(self.zones.hear)
        self.enrol = EnrolService(rt.redis, rt.keys.prefix, prefix, rt.district, s.enrol)
        if s.push.enabled:
            channels: list[PushChannel] = [LiveChannel(rt.redis, rt.keys.prefix)]
            if self.mqtt and s.push.mqtt_topics:
                self.mqtt_push = MqttPushChannel(s.mqtt, f"{rt.client_id}-push")
                await asyncio.to_thread(self.mqtt_push.start)
                channels.append(self.mqtt_push)
            self.vapid = load_vapid(rt)
            if self.vapid is not None:
                sender = WebPushSender(self.vapid, ttl_s=s.push.ttl_s)
                channels.append(WebPushChannel(sender, SubscriptionStore(rt.redis, rt.keys.prefix)))
            policy = PushPolicy(
                PushPolicyConfig(s.push.coalesce_s, s.push.quiet_s, s.push.max_per_minute)
            )
            self.fanout = PushFanout(
                rt.redis,
                rt.keys,
                rt.store,
                rt.district,
                rt.clock,
                channels,
                policy,
                consumer=rt.client_id,
            )
            await self.fanout.ensure_group()
            self.tasks.append(asyncio.create_task(self.fanout.run(), name="push"))
        self.tasks.append(asyncio.create_task(self.fleet.run(), name="fleet"))
        if app is not None:
            self.attach(app)

    def attach(self, app: FastAPI) -> None:
        app.state.fleet = self.fleet
        app.state.zones = self.zones
        app.state.enrol = self.enrol
        app.state.vapid_public = self.vapid.public_b64 if self.vapid else None

    async def stop(self) -> None:
        tasks, self.tasks = self.tasks, []
        await stop_tasks(tasks)
        if self.mqtt_push is not None:
            self.mqtt_push.stop()
        if self.fleet_link is not None:
            self.fleet_link.stop()

"""Where a push goes: the browser (Web Push), the responder's live page, native apps (MQTT).

Each channel has one ``send(push)``; the fan-out calls them side by side and a failing
channel never stops the others.
"""

from __future__ import annotations

import logging
from typing import Protocol

from redis.asyncio import Redis

from contracts.codec import encode
from contracts.messages import ResponderPush
from hub.push.subscriptions import SubscriptionStore
from hub.push.webpush import SubscriptionGone, WebPushSender
from hub.services.metrics import METRICS

log = logging.getLogger(__name__)
LIVE_MAXLEN = 200


class PushChannel(Protocol):
    name: str

    async def send(self, push: ResponderPush) -> None: ...


class WebPushChannel:
    name = "webpush"

    def __init__(self, sender: WebPushSender, subs: SubscriptionStore) -> None:
        self.sender = sender
        self.subs = subs

    async def send(self, push: ResponderPush) -> None:
        for sub in await self.subs.of(push.person_id):
            try:
                await self.sender.send(sub, push)
                METRICS.webpush_sent.inc()
            except SubscriptionGone:
                log.info("push subscription of %s is gone: removed", push.person_id)
                await self.subs.remove(push.person_id, sub.endpoint)


def live_key(prefix: str, person_id: str) -> str:
    return f"{prefix}:push:live:{person_id}"


class LiveChannel:
    """A short Redis stream per person that the open page follows (``/api/push/live``)."""

    name = "live"

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.r = redis
        self.prefix = prefix

    async def send(self, push: ResponderPush) -> None:
        await self.r.xadd(
            live_key(self.prefix, push.person_id),
            {"push": encode(push)},
            maxlen=LIVE_MAXLEN,
            approximate=True,
        )

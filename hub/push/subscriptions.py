"""Browser push subscriptions per responder, in Redis (one hash per person, keyed by endpoint)."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from hub.push.webpush import Subscription

MAX_PER_PERSON = 8


class SubscriptionLimit(ValueError):
    pass


class SubscriptionStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.r = redis
        self.prefix = prefix

    def _key(self, person_id: str) -> str:
        return f"{self.prefix}:push:subs:{person_id}"

    @staticmethod
    def _field(endpoint: str) -> str:
        return hashlib.sha256(endpoint.encode()).hexdigest()[:24]

    async def add(self, person_id: str, sub: Subscription) -> None:
        key, field = self._key(person_id), self._field(sub.endpoint)
        if not await self.r.hexists(key, field) and await self.r.hlen(key) >= MAX_PER_PERSON:
            raise SubscriptionLimit(
                f"person {person_id!r} already has {MAX_PER_PERSON} push subscriptions; "
                "remove one first"
            )
        await self.r.hset(key, field, sub.model_dump_json())

    async def remove(self, person_id: str, endpoint: str) -> bool:
        return bool(await self.r.hdel(self._key(person_id), self._field(endpoint)))

    async def of(self, person_id: str) -> list[Subscription]:
        raw = await self.r.hvals(self._key(person_id))
        return [Subscription.model_validate_json(x) for x in raw]

"""The hub's Redis clients, built in one place from ``RedisSettings``.

Without sentinels a client connects to ``redis.url``. With ``redis.sentinels`` it is a
Sentinel-managed client of the primary named ``redis.sentinel_master``: every new
connection asks the sentinels where the primary is, a connection to a primary that died or
was demoted fails (``ConnectionError``), and the hub's loops, which retry on ``RedisError``,
carry on against the promoted replica once Sentinel has promoted one. The URL then gives
only the database, user, password and TLS (docs/hub.md "Redis that fails over").

With ``redis.cluster`` it is redis-py's cluster client, started from those nodes: it learns
the slot map and sends each command, script and transaction to the primary of its keys'
slot. The hub's keys of one district share one hash tag (``hub.store.keys``), so whatever
it sends touches one slot; the URL gives only the user, password and TLS.
"""

from __future__ import annotations

import socket
from typing import Any, cast

import redis
import redis.cluster
from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import parse_url
from redis.asyncio.sentinel import Sentinel
from redis.sentinel import Sentinel as SyncSentinel

from hub.settings import RedisSettings

# a dead Redis host or a cut link is found by TCP keepalive: ~10 s idle, then 3 probes 5 s apart
KEEPALIVE = {
    getattr(socket, name): value
    for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3))
    if hasattr(socket, name)
}
CONNECT_TIMEOUT_S = 5.0
# a sentinel is asked only while a connection is made; one that hangs is passed over
SENTINEL_TIMEOUT_S = 2.0


class SentinelRedis(Redis):
    """A primary's client that also closes its connections to the sentinels."""

    sentinels: Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        try:
            await super().aclose(close_connection_pool)
        finally:
            if self.sentinels is not None:
                await self.sentinels.aclose()


def _addresses(given: list[str]) -> list[tuple[str, int]]:
    out = []
    for addr in given:
        host, _, port = addr.rpartition(":")
        out.append((host.strip("[]"), int(port)))
    return out


def sentinel_addresses(settings: RedisSettings) -> list[tuple[str, int]]:
    return _addresses(settings.sentinels)


def cluster_addresses(settings: RedisSettings) -> list[tuple[str, int]]:
    return _addresses(settings.cluster)


def _url_kwargs(url: str) -> dict[str, Any]:
    """Database, credentials and TLS from the URL; where to connect comes from Sentinel."""
    kw: dict[str, Any] = dict(parse_url(url))
    for where in ("host", "port", "path", "connection_class"):
        kw.pop(where, None)
    if url.startswith("rediss://"):
        kw["ssl"] = True
    return kw


def _cluster_kwargs(url: str) -> dict[str, Any]:
    kw = _url_kwargs(url)
    kw.pop("db", None)  # a cluster has database 0 only (the settings check the URL)
    return kw


def async_redis(settings: RedisSettings, **options: Any) -> Redis:
    """An asyncio client on ``settings`` with redis-py ``options`` (timeouts and the like).

    A cluster client is returned as ``Redis``: it is not one, but it answers every command,
    script and transaction the hub sends it (tests/trust/test_redis_cluster.py runs them)."""
    if settings.cluster:
        nodes = [ClusterNode(host, port) for host, port in cluster_addresses(settings)]
        cluster = RedisCluster(startup_nodes=nodes, **_cluster_kwargs(settings.url), **options)
        return cast(Redis, cluster)
    if not settings.sentinels:
        return Redis.from_url(settings.url, **options)
    sentinel = Sentinel(
        sentinel_addresses(settings),
        sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT_S,
            "socket_connect_timeout": SENTINEL_TIMEOUT_S,
        },
    )
    client: SentinelRedis = sentinel.master_for(
        settings.sentinel_master,
        redis_class=SentinelRedis,
        **_url_kwargs(settings.url),
        **options,
    )
    client.sentinels = sentinel
    return client


def hub_redis(settings: RedisSettings) -> Redis:
    """A client for the hub's loops: no socket timeout, so that redis-py never sends a
    command through Python 3.11's ``asyncio.wait_for``, which can lose a cancel (see
    ``hub.services.cancellation``; it also costs a task per command). Connecting is still
    bounded (5 s) and a dead peer is found by TCP keepalive instead."""
    return async_redis(
        settings,
        socket_timeout=None,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_keepalive=True,
        socket_keepalive_options=KEEPALIVE,
    )


def sync_redis(settings: RedisSettings, socket_timeout: float) -> redis.Redis:
    """A blocking client (the case history's copier and commands)."""
    if settings.cluster:
        nodes = [
            redis.cluster.ClusterNode(h, p)  # type: ignore[no-untyped-call]
            for h, p in cluster_addresses(settings)
        ]
        sync_cluster = redis.cluster.RedisCluster(
            startup_nodes=nodes, socket_timeout=socket_timeout, **_cluster_kwargs(settings.url)
        )
        return cast(redis.Redis, sync_cluster)
    if not settings.sentinels:
        return redis.Redis.from_url(settings.url, socket_timeout=socket_timeout)
    sentinel = SyncSentinel(
        sentinel_addresses(settings),
        sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT_S,
            "socket_connect_timeout": SENTINEL_TIMEOUT_S,
        },
    )
    client: redis.Redis = sentinel.master_for(
        settings.sentinel_master, socket_timeout=socket_timeout, **_url_kwargs(settings.url)
    )
    return client

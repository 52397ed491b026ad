"""Redis that fails over, for a test of its own: a primary and a replica (``redis-server``
with the shipped durability settings, ``tests.trust.redis_rig``) watched by three sentinels
(``redis-server --sentinel``, the same binary Debian's ``redis-sentinel`` package runs) on
free ports, with Sentinel's timings short enough for a test."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.trust.redis_rig import OwnRedis, _free_port, shipped_redis_args

MASTER = "gridwall"
DOWN_AFTER_MS = 1000  # a primary silent this long is down for a sentinel
FAILOVER_TIMEOUT_MS = 3000
QUORUM = 2  # of the three sentinels
# the primary starts a replica's full sync at once instead of waiting for more replicas
SYNC_NOW = ["--repl-diskless-sync-delay", "0"]


@dataclass
class OwnSentinel:
    folder: Path
    master_port: int
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "sentinel.conf"  # Sentinel rewrites it as it learns
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndaemonize no\ndir {self.folder}\n"
            f"logfile {self.folder / 'sentinel.log'}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {self.master_port} {QUORUM}\n"
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}\n"
            f"sentinel parallel-syncs {MASTER} 1\n",
            encoding="utf-8",
        )
        self.proc = subprocess.Popen(
            ["redis-server", str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, decode_responses=True)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class SentinelGroup:
    """A primary, a replica and three sentinels; ``ready`` waits until a failover could
    happen (the replica in sync, every sentinel knowing the replica and the other two)."""

    def __init__(self, folder: Path) -> None:
        args = [*shipped_redis_args(), *SYNC_NOW]
        self.primary = OwnRedis(folder / "primary", args)
        self.replica = OwnRedis(
            folder / "replica",
            [*args, "--replicaof", "127.0.0.1", str(self.primary.port)],
        )
        self.sentinels = [
            OwnSentinel(folder / f"sentinel-{i}", self.primary.port) for i in range(3)
        ]

    @property
    def addresses(self) -> str:
        """``GRIDWALL_REDIS_SENTINELS``: host:port, comma-separated."""
        return ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)

    def start(self, timeout_s: float = 30) -> None:
        self.primary.start()
        self.replica.start()
        for s in self.sentinels:
            s.start()
        self.ready(timeout_s)

    @property
    def nodes(self) -> list[OwnRedis]:
        return [self.primary, self.replica]

    def standby(self) -> OwnRedis | None:
        """The node that is not the primary the sentinels name now."""
        port = self.master_port()
        others = [n for n in self.nodes if n.port != port]
        return others[0] if port is not None and len(others) == 1 else None

    def _can_fail_over(self) -> bool:
        try:
            node = self.standby()
            if node is None:
                return False
            with redis.Redis(port=node.port, socket_timeout=2) as r:
                info = r.info("replication")
            if info.get("master_link_status") != "up":
                return False
            for s in self.sentinels:
                with s.client() as c:
                    c.execute_command("SENTINEL", "CKQUORUM", MASTER)  # raises until it holds
                    master = c.sentinel_master(MASTER)
                    if int(master["num-other-sentinels"]) < 2:
                        return False
                    replicas = c.sentinel_slaves(MASTER)
                    if not any(
                        int(r["port"]) == node.port
                        and not r["is_sdown"]
                        and not r["is_disconnected"]
                        for r in replicas
                    ):
                        return False
            return True
        except (redis.RedisError, OSError):
            return False

    def ready(self, timeout_s: float = 30) -> None:
        """Wait until a failover could happen again (after a node came back)."""
        self._until(self._can_fail_over, timeout_s, "sentinels ready to fail over")

    def master_port(self) -> int | None:
        """The primary's port as a majority of sentinels name it now."""
        seen: list[int] = []
        for s in self.sentinels:
            try:
                with s.client() as c:
                    seen.append(int(c.sentinel_get_master_addr_by_name(MASTER)[1]))
            except (redis.RedisError, OSError, TypeError):
                continue
        for port in set(seen):
            if seen.count(port) >= QUORUM:
                return port
        return None

    @staticmethod
    def _until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout_s} s")
            time.sleep(0.1)

    def log_tails(self) -> str:
        out = []
        for s in self.sentinels:
            log = s.folder / "sentinel.log"
            if log.exists():
                out.append(f"--- sentinel {s.port}\n" + log.read_text(errors="replace")[-1500:])
        return "\n".join(out)

    def close(self) -> None:
        for s in self.sentinels:
            s.close()
        self.replica.close()
        self.primary.close()

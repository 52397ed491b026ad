"""A local Redis Cluster of three primaries for a test of its own: three ``redis-server``
processes with ``cluster-enabled yes`` on free ports, joined by ``redis-cli --cluster
create`` (the slots split in three, no replicas), waited on until every node says
``cluster_state:ok``."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.trust.redis_rig import OwnRedis

PRIMARIES = 3


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_port() -> int:
    """A free port whose cluster bus port (10,000 above it) is free too: at most 55535."""
    for _ in range(200):
        port = random.randint(20_000, 55_535)
        if _bindable(port) and _bindable(port + 10_000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


def _node_args(folder: Path) -> list[str]:
    return [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        str(folder / "nodes.conf"),
        "--cluster-node-timeout",
        "2000",
        "--appendonly",
        "no",
        "--save",
        "",
    ]


@dataclass
class LocalCluster:
    folder: Path
    nodes: list[OwnRedis] = field(default_factory=list)

    @property
    def addresses(self) -> str:
        """``host:port,...`` as ``GRIDWALL_REDIS_CLUSTER`` takes it."""
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self, timeout_s: float = 20) -> None:
        for i in range(PRIMARIES):
            folder = self.folder / f"node{i}"
            folder.mkdir(parents=True, exist_ok=True)
            node = OwnRedis(folder, _node_args(folder), port=cluster_port())
            self.nodes.append(node)
            node.start()
        create = subprocess.run(
            ["redis-cli", "--cluster", "create", *self.addresses.split(","), "--cluster-yes"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if create.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {create.stdout[-2000:]}")
        deadline = time.monotonic() + timeout_s
        while not all(self._ok(n.port) for n in self.nodes):
            if time.monotonic() > deadline:
                raise RuntimeError(f"cluster not ok in {timeout_s} s: {self.log_tails()}")
            time.sleep(0.1)

    @staticmethod
    def _ok(port: int) -> bool:
        with redis.Redis(port=port, socket_timeout=2, decode_responses=True) as r:
            info = r.execute_command("CLUSTER INFO")  # redis-py parses it into a dict
        return isinstance(info, dict) and info.get("cluster_state") == "ok"

    def node_of(self, key: str) -> int:
        """The port of the primary that holds ``key``'s slot."""
        with redis.Redis(port=self.nodes[0].port, socket_timeout=2) as r:
            slot = int(r.execute_command("CLUSTER KEYSLOT", key))
            for start, end, primary, *_ in r.execute_command("CLUSTER SLOTS"):
                if start <= slot <= end:
                    return int(primary[1])
        raise LookupError(f"slot of {key!r} is served by no node")

    def log_tails(self) -> str:
        return "\n".join(f"--- node {n.port}\n{n.log_tail()}" for n in self.nodes)

    def close(self) -> None:
        for n in self.nodes:
            n.close()

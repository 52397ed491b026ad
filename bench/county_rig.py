"""The real parts ``bench/county.py`` runs against: its own Redis and Mosquitto on free ports
(no persistence, nothing shared with the standard ports) and N ``python -m hub run``
processes on them, one MQTT 5 shared subscription group; their CPU, RSS and metrics."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType

import httpx
import psutil
import yaml
from redis.asyncio import Redis

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
BROKER_CONF = """\
listener {port} {host}
allow_anonymous true
persistence {persistence}
persistence_location {folder}/
autosave_interval 60
set_tcp_nodelay true
max_connections -1
max_queued_messages 1000000
max_queued_bytes 268435456
log_dest file {folder}/mosquitto.log
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout_s} s")


class Rig:
    def __init__(
        self,
        tmp: Path,
        district: Path,
        hubs: int,
        persistent: bool = False,
        push: dict[str, object] | None = None,
    ) -> None:
        """``persistent``: the broker keeps its sessions on disk, as the shipped one does
        (``docker/mosquitto``), so a restart (``restart_broker``) loses no session.
        ``push``: the hubs' ``push:`` settings (Web Push on)."""
        self.tmp, self.district, self.n, self.persistent = tmp, district, hubs, persistent
        self.push = push
        self.broker: subprocess.Popen[bytes] | None = None
        tag = uuid.uuid4().hex[:8]
        self.topic_prefix = f"county-{tag}"
        self.redis_prefix = f"county{tag}"
        self.mqtt_port, self.redis_port = free_port(), free_port()
        self.http_ports = [free_port() for _ in range(hubs)]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.hubs: list[subprocess.Popen[bytes]] = []

    @property
    def redis_url(self) -> str:
        return f"redis://{HOST}:{self.redis_port}/0"

    def __enter__(self) -> Rig:
        redis = subprocess.Popen(
            ["redis-server", "--bind", HOST, "--port", str(self.redis_port), "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.procs.append(redis)
        wait_port(self.redis_port, redis, "redis-server")
        conf = self.tmp / "mosquitto.conf"
        persistence = "true" if self.persistent else "false"
        text = BROKER_CONF.format(
            port=self.mqtt_port, host=HOST, persistence=persistence, folder=self.tmp
        )
        # started as root, mosquitto drops to user "mosquitto", which cannot write its
        # sessions into our folder: a restart then lost every session (the hubs' shared
        # subscription too), and what the boxes sent before the hubs were back (34 of 334)
        conf.write_text(text + ("user root\n" if os.geteuid() == 0 else ""))
        self._start_broker()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWALL_")}
        env["GRIDWALL_HUB_TOKENS"] = f"county-{uuid.uuid4().hex} operator"
        for i, port in enumerate(self.http_ports):
            cfg = self.tmp / f"hub-{i}.yaml"
            cfg.write_text(yaml.safe_dump(self._hub_config(i, port)), encoding="utf-8")
            cmd = [
                sys.executable,
                "-m",
                "hub",
                "run",
                "--config",
                str(cfg),
                "--log-level",
                "warning",
            ]
            log = (self.tmp / f"hub-{i}.log").open("wb")
            self.hubs.append(subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=log))
        return self

    def _start_broker(self) -> None:
        self.broker = subprocess.Popen(
            ["mosquitto", "-c", str(self.tmp / "mosquitto.conf")], stderr=subprocess.DEVNULL
        )
        wait_port(self.mqtt_port, self.broker, "mosquitto")

    def restart_broker(self, outage_s: float) -> tuple[float, float]:
        """An outage: the broker stops (SIGTERM: it saves its sessions), stays down
        ``outage_s`` and starts again on the same port. Returns (down, up) as Unix seconds:
        stopped, and listening again."""
        assert self.broker is not None
        self.broker.terminate()
        self.broker.wait(60)
        down = time.time()
        time.sleep(outage_s)
        self._start_broker()
        return down, time.time()

    def _hub_config(self, i: int, port: int) -> dict[str, object]:
        return ({"push": self.push} if self.push else {}) | {
            "district_dir": str(self.district),
            "mqtt": {
                "url": f"mqtt://{HOST}:{self.mqtt_port}",
                "topic_prefix": self.topic_prefix,
                "client_id": f"{self.redis_prefix}-{i}",
                "shared_group": self.redis_prefix,
            },
            "redis": {"url": self.redis_url, "key_prefix": self.redis_prefix},
            "http": {"host": HOST, "port": port},
        }

    async def ready(self, timeout_s: float) -> None:
        """Every hub answers ``/healthz`` (a county-sized district takes a while to load)."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2) as c:
            for i, port in enumerate(self.http_ports):
                while True:
                    if self.hubs[i].poll() is not None:
                        tail = (self.tmp / f"hub-{i}.log").read_text(errors="replace")[-2000:]
                        raise RuntimeError(f"hub {i} exited with {self.hubs[i].returncode}\n{tail}")
                    try:
                        if (await c.get(f"http://{HOST}:{port}/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"hub {i} did not answer within {timeout_s} s")
                    await asyncio.sleep(0.5)

    def redis(self) -> Redis:
        return Redis.from_url(self.redis_url)

    async def histogram(self) -> dict[float, float]:
        """Cumulative bucket counts of the hubs' alert age (publish stamp → correlated)."""
        out: dict[float, float] = {}
        async with httpx.AsyncClient(timeout=10) as c:
            for port in self.http_ports:
                text = (await c.get(f"http://{HOST}:{port}/metrics")).text
                for m in re.finditer(
                    r'gridwall_hub_alert_age_ms_bucket\{le="([^"]+)"\} (\S+)', text
                ):
                    le = float("inf") if m[1] == "+Inf" else float(m[1])
                    out[le] = out.get(le, 0.0) + float(m[2])
        return out

    async def metric_sum(self, name: str) -> float:
        """A counter of the hubs' ``/metrics`` (``{name}_total``), added over the hubs."""
        total = 0.0
        async with httpx.AsyncClient(timeout=10) as c:
            for port in self.http_ports:
                text = (await c.get(f"http://{HOST}:{port}/metrics")).text
                m = re.search(rf"^{name}_total (\S+)$", text, re.M)
                total += float(m[1]) if m else 0.0
        return total

    def cpu_seconds(self) -> list[float]:
        out = []
        for p in self.hubs:
            t = psutil.Process(p.pid).cpu_times()
            out.append(t.user + t.system)
        return out

    def rss_mb(self) -> list[float]:
        return [round(psutil.Process(p.pid).memory_info().rss / 2**20, 1) for p in self.hubs]

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        for p in self.hubs:
            p.send_signal(signal.SIGTERM)
        for p in self.hubs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        for p in [*([self.broker] if self.broker else []), *reversed(self.procs)]:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

"""A Redis server of a test's (or bench's) own, started with the durability settings the
project ships, that can be ``kill -9``-ed and started again on the same data folder.

The shipped settings are read from where they ship, not copied: the ``redis`` service's
command in ``docker/compose.yaml``. ``scripts/services`` (the Redis that ``make demo`` and
``make test`` start) must name the same ``appendonly`` and ``appendfsync`` values;
``shipped_redis_args`` refuses to answer when the two disagree.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker" / "compose.yaml"
SERVICES = REPO / "scripts" / "services"
DURABILITY = ("appendonly", "appendfsync")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shipped_redis_args() -> list[str]:
    """The ``redis-server`` arguments of the compose stack's ``redis`` service, after
    checking that ``scripts/services`` starts Redis with the same durability values."""
    doc = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    cmd = [str(a) for a in doc["services"]["redis"]["command"]]
    if cmd[0] != "redis-server":
        raise ValueError(f"{COMPOSE}: the redis command is not redis-server: {cmd!r}")
    args = cmd[1:]
    services = SERVICES.read_text(encoding="utf-8")
    for name in DURABILITY:
        ours = args[args.index(f"--{name}") + 1] if f"--{name}" in args else None
        m = re.search(rf"--{name} (\S+)", services)
        theirs = m.group(1) if m else None
        if ours is None or ours != theirs:
            raise ValueError(
                f"{name}: {COMPOSE.name} ships {ours!r}, {SERVICES.name} ships {theirs!r}"
            )
    return args


def setting(args: list[str], name: str) -> str | None:
    """The value of ``--name`` in a ``redis-server`` argument list, if present."""
    flag = f"--{name}"
    return args[args.index(flag) + 1] if flag in args else None


@dataclass
class OwnRedis:
    """``redis-server`` on 127.0.0.1 and a free port, its data in ``folder``."""

    folder: Path
    args: list[str]
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 30) -> None:
        """Start (or start again) on the same port and data folder; wait until it answers
        PING, which Redis does only once its AOF is loaded."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--daemonize",
                "no",
                "--logfile",
                str(self.folder / "redis.log"),
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log_tail()}")
            if self._pong():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} not ready in {timeout_s} s")

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def log_tail(self) -> str:
        log = self.folder / "redis.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

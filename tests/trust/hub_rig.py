"""Hub processes (``python -m hub run``) for the trust tests, a paced alert stream that
counts what the broker acknowledged, the inbox as a set of alerts, and the hubs' retained
membership records as the broker holds them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from redis.asyncio import Redis

from contracts.codec import encode
from contracts.topics import TopicKind, topic_for
from tests.hub.conftest import free_port, key_root, make_alert

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "configs" / "hub.yaml"
# cameras of the sample district with the box each belongs to
CAMERAS = [
    ("cam-01", "edge-01"),
    ("cam-02", "edge-01"),
    ("cam-03", "edge-01"),
    ("cam-06", "edge-02"),
    ("cam-07", "edge-02"),
    ("cam-11", "edge-03"),
    ("cam-12", "edge-03"),
    ("cam-15", "edge-04"),
]


async def until(probe: Callable[[], Awaitable[T | None]], timeout_s: float, what: str) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        got = await probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        await asyncio.sleep(0.1)


async def value(x: T) -> T:
    """``x`` as an awaitable, for a probe that needs no I/O."""
    return x


async def soon(probe: Callable[[], Awaitable[T | None]], timeout_s: float) -> T | None:
    """``probe``'s first truthy answer within ``timeout_s``, else None."""
    try:
        return await until(probe, timeout_s, "")
    except AssertionError:
        return None


@dataclass
class HubProc:
    """One ``python -m hub run`` with a config file and environment overrides."""

    config: Path
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWALL_")}
        env |= self.env
        env["GRIDWALL_HTTP_PORT"] = str(self.port)
        env.setdefault("GRIDWALL_HUB_TOKENS", "operator-token-0123456789 operator")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hub", "run", "--config", str(self.config)],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def ready(self, timeout_s: float = 150) -> None:
        async with httpx.AsyncClient(timeout=2) as c:

            async def up() -> bool:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise AssertionError(f"hub exited: {self.log.read_text()[-3000:]}")
                try:
                    r = await c.get(f"http://127.0.0.1:{self.port}/healthz")
                except httpx.HTTPError:
                    return False
                return r.status_code == 200

            await until(up, timeout_s, f"hub on port {self.port} ready")

    async def metric(self, name: str) -> float:
        async with httpx.AsyncClient(timeout=5) as c:
            text = (await c.get(f"http://127.0.0.1:{self.port}/metrics")).text
        m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(m.group(1)) if m else 0.0

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout_s: float = 20) -> None:
        """A clean stop (SIGTERM), waited for."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout_s)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


class Stream:
    """Paced alerts in a thread: updates of one event per camera, so every alert has its own
    (event id, seq). ``acked`` lists those the broker acknowledged (the box forgets them)."""

    def __init__(self, port: int, prefix: str, tag: str = "") -> None:
        self.prefix = prefix
        self.tag = tag or uuid.uuid4().hex[:6]
        self.c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"box-{self.tag}", protocol=mqtt.MQTTv5
        )
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        self.acked: list[tuple[str, int]] = []
        self.sent_at: list[float] = []
        self._seq = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _run(self, n: int, per_s: float) -> None:
        t0 = time.monotonic()
        for i in range(n):
            if self._stop.is_set():
                break
            cam, box = CAMERAS[self._seq % len(CAMERAS)]
            seq = self._seq // len(CAMERAS)
            ev = make_alert(
                box,
                camera_id=cam,
                event_id=f"ev-{self.tag}-{cam}",
                type="new" if seq == 0 else "update",
                seq=seq,
                confidence=0.95,
            )
            self._seq += 1
            info = self.c.publish(topic_for(self.prefix, TopicKind.EVENT, box), encode(ev), qos=1)
            info.wait_for_publish(10)
            self.acked.append((ev.event_id, seq))
            self.sent_at.append(time.monotonic())
            delay = t0 + (i + 1) / per_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def start(self, n: int, per_s: float) -> None:
        self._thread = threading.Thread(target=self._run, args=(n, per_s), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the stream after the alert being sent (``join`` then returns)."""
        self._stop.set()

    async def join(self, timeout_s: float = 60) -> None:
        assert self._thread is not None
        await asyncio.to_thread(self._thread.join, timeout_s)
        assert not self._thread.is_alive(), "the stream did not finish"

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


async def inbox_alerts(redis: Redis, prefix: str) -> set[tuple[str, int]]:
    """(event id, seq) of every alert in the inbox stream of the sample district's hub on the
    key prefix ``prefix``."""
    got: set[tuple[str, int]] = set()
    rows: Any = await redis.xrange(f"{key_root(prefix)}:inbox")
    for _, f in rows:
        if f.get(b"k") == b"event":
            body = json.loads(f[b"p"])
            got.add((body["event_id"], body["seq"]))
    return got


class Records:
    """The retained membership records of a group, kept current (client id → record)."""

    def __init__(self, port: int, prefix: str, group: str) -> None:
        self.port = port
        self.records: dict[str, dict[str, Any]] = {}
        self.changed_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self.c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"watch-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.c.on_message = self._on_message
        self.c.connect("127.0.0.1", port)
        self.c.subscribe(f"{prefix}/hub/members/{group}/+", qos=1)
        self.c.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        cid = msg.topic.rsplit("/", 1)[-1]
        with self._lock:
            self.changed_at[cid] = time.monotonic()
            if msg.payload:
                self.records[cid] = json.loads(msg.payload)
            else:
                self.records.pop(cid, None)

    def of(self, pid: int) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            for cid, rec in self.records.items():
                if rec.get("pid") == pid:
                    return cid, dict(rec)
        return None

    def state(self, cid: str) -> str | None:
        with self._lock:
            rec = self.records.get(cid)
            return str(rec["state"]) if rec else None

    def session_present(self, client_id: str) -> bool:
        """Whether the broker still holds a session for ``client_id`` (a probe connect;
        the probe's own session ends when it disconnects)."""
        flags: dict[str, bool] = {}
        done = threading.Event()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)

        def on_connect(_c: Any, _u: Any, f: Any, _rc: Any, _p: Any) -> None:
            flags["present"] = bool(f.session_present)
            done.set()

        c.on_connect = on_connect
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 0
        c.connect("127.0.0.1", self.port, clean_start=False, properties=props)
        c.loop_start()
        done.wait(5)
        c.disconnect()
        c.loop_stop()
        return flags["present"]

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()

"""Parts of ``bench/faults.py``: a Mosquitto of its own with the demo broker's settings, a
paced alert stream in a process of its own that counts what the broker acknowledged, and a
count of the hub's inbox.

The broker takes ``hub.enrol.local_broker.broker_config`` (what ``make demo`` runs:
persistence, ``autosave_interval 60``, the queue bounded by bytes, TCP_NODELAY) without its
logins, so the bench's clients connect without passwords; a restart is a clean stop (the
broker saves its sessions and queues) and a start on the same folder.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from redis.asyncio import Redis

from contracts.codec import encode
from contracts.messages import AlertEvent
from contracts.topics import TopicKind, topic_for
from hub.district import load_district
from hub.enrol.local_broker import broker_config
from tests.hub.conftest import key_root

REPO = Path(__file__).resolve().parents[1]
LOGIN_LINES = ("allow_anonymous", "password_file", "acl_file")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OwnBroker:
    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "mosquitto.conf"
        lines = [
            line
            for line in broker_config(self.folder, self.port).splitlines()
            if not line.startswith(LOGIN_LINES)
        ]
        conf.write_text("\n".join([*lines, "allow_anonymous true"]) + "\n")
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited, see {self.folder / 'mosquitto.log'}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"mosquitto not listening on {self.port} in {timeout_s} s")

    def stop(self) -> None:
        """A clean stop: Mosquitto saves its sessions and queued messages first."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


def zone_keys() -> list[tuple[str, str, str, str]]:
    """(box, camera, zone, category) for every zone category of the sample district."""
    d = load_district(REPO / "configs" / "district")
    return [
        (c.box_id, c.camera_id, z.zone_id, cat)
        for c in d.cameras.values()
        for z in c.zones
        for cat in z.categories
    ]


def acknowledged(info: mqtt.MQTTMessageInfo) -> bool:
    """Whether the broker acknowledged the message. ``is_published`` raises for a message
    published while the broker was away, though paho keeps it and sends it after the
    reconnect; its flag says whether the PUBACK came."""
    return bool(info._published)


def _stream(port: int, prefix: str, rate: float, stop: Any, out: str) -> None:
    """The publisher process: ``rate`` alerts/s until ``stop`` is set, QoS 1, each an update of one
    event per zone category with a growing seq; paho queues what it cannot send while the
    broker is away and sends it again after a reconnect, as a box's outbox does. Writes
    ``{"sent", "acked": [[event_id, seq], ...], "seconds", "ended_at"}`` to ``out``
    (``ended_at``: the last publish, on the machine's monotonic clock)."""
    keys = zone_keys()
    tag = uuid.uuid4().hex[:6]
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"faults-{tag}", protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.reconnect_delay_set(1, 2)
    c.connect("127.0.0.1", port)
    c.loop_start()
    infos: list[tuple[str, int, Any]] = []
    t0 = time.monotonic()
    i = 0
    while not stop.is_set():
        elapsed = time.monotonic() - t0
        while i < int(elapsed * rate):
            box, cam, zone, cat = keys[i % len(keys)]
            now = time.time_ns() // 1_000_000
            ev = AlertEvent(
                type="update",
                event_id=f"f{tag}-{cam}-{zone}-{cat}",
                seq=i + 1,
                box_id=box,
                camera_id=cam,
                zone_id=zone,
                category=cat,
                rule="faults",
                confidence=0.99,
                started_at_ms=now,
                updated_at_ms=now,
            )
            info = c.publish(topic_for(prefix, TopicKind.EVENT, box), encode(ev), qos=1)
            infos.append((ev.event_id, ev.seq, info))
            i += 1
        time.sleep(0.005)
    took = time.monotonic() - t0
    deadline, first = time.monotonic() + 120, 0
    while time.monotonic() < deadline and first < len(infos):
        while first < len(infos) and acknowledged(infos[first][2]):
            first += 1
        time.sleep(0.2)
    acked = [[e, s] for e, s, info in infos if acknowledged(info)]
    Path(out).write_text(
        json.dumps({"sent": i, "acked": acked, "seconds": took, "ended_at": t0 + took})
    )
    c.disconnect()
    c.loop_stop()


def start_stream(port: int, prefix: str, rate: float, out: Path) -> tuple[Any, Any]:
    """The alert stream in a process of its own (the bench's asyncio loop keeps its core):
    the process and the event that ends the stream."""
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    proc = ctx.Process(target=_stream, args=(port, prefix, rate, stop, str(out)), daemon=True)
    proc.start()
    return proc, stop


async def inbox_count(r: Redis, prefix: str) -> tuple[int, set[tuple[str, int]]]:
    """(alert entries in the inbox, the distinct (event id, seq) among them)."""
    total, seen = 0, set()
    start = "-"
    while True:
        rows: Any = await r.xrange(f"{key_root(prefix)}:inbox", min=start, count=10_000)
        for _entry_id, f in rows:
            if f.get(b"k") == b"event":
                body = json.loads(f[b"p"])
                total += 1
                seen.add((body["event_id"], body["seq"]))
        if len(rows) < 10_000:
            return total, seen
        start = "(" + rows[-1][0].decode()

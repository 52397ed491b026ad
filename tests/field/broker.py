"""A private Mosquitto for tests that need auth, ACLs or a reload: own port, own temp dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(pred: Any, timeout_s: float, step_s: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step_s)
    return bool(pred())


@dataclass
class PrivateBroker:
    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        conf = self.folder / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous false",
            f"password_file {self.folder / 'passwd'}",
            f"acl_file {self.folder / 'acl'}",
            "persistence false",
            "set_tcp_nodelay true",
            f"log_dest file {self.folder / 'mosquitto.log'}",
        ]
        if os.geteuid() == 0:
            lines.append("user root")  # keep reading our temp files after a reload
        conf.write_text("\n".join(lines) + "\n")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
        if not wait_until(self._listening, 5):
            self.stop()
            raise RuntimeError(f"private mosquitto did not start: {self.log()}")

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def reload(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGHUP)
        time.sleep(0.05)  # mosquitto rereads on its next loop pass; clients retry anyway

    def log(self) -> str:
        p = self.folder / "mosquitto.log"
        return p.read_text() if p.exists() else ""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


@dataclass
class Client:
    """A paho MQTT 5 client recording connect result, messages and PUBACK reason codes."""

    port: int
    username: str
    password: str
    client_id: str = ""
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    acks: dict[int, int] = field(default_factory=dict)
    connect_rc: int | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id or f"t-{self.username}-{os.urandom(3).hex()}",
            protocol=mqtt.MQTTv5,
        )
        self.c.username_pw_set(self.username, self.password)
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_publish = self._on_publish

    def _on_connect(self, _c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self.connect_rc = int(rc.value)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload)))

    def _on_publish(self, _c: Any, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        self.acks[mid] = int(rc.value)

    def connect(self, timeout_s: float = 5) -> int | None:
        self.c.connect_async("127.0.0.1", self.port)
        self.c.loop_start()
        wait_until(lambda: self.connect_rc is not None, timeout_s)
        return self.connect_rc

    def subscribe(self, topic: str) -> None:
        done = threading.Event()
        self.c.on_subscribe = lambda *_a: done.set()
        self.c.subscribe(topic, qos=1)
        done.wait(5)

    def publish(self, topic: str, payload: bytes) -> int:
        """Publish QoS 1 and return the PUBACK reason code (0 success, 135 not authorised)."""
        info = self.c.publish(topic, payload, qos=1)
        wait_until(lambda: info.mid in self.acks, 5)
        return self.acks.get(info.mid, -1)

    def stop(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()

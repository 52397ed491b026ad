"""``python -m edge supervise --config edge.yaml``: run the agent as a child process and keep
the box on a config it can start with.

The agent applies most remote configs live. A remote config that changes what needs a
restart (``RESTART_KEYS``) or the detector (a model update) is the supervisor's: it writes a
candidate file beside the config, restarts the agent with it, and waits ``settle_s``. If the
agent exits before then, the supervisor goes back to the last good file, starts the agent
again and reports a ``rolled_back`` ConfigAck naming the reason (the agent's last words). A
config id that failed is remembered and never tried again. A crash of a settled agent is
restarted with backoff.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from contracts.codec import ContractError, decode_json, encode
from contracts.connection import MqttConnection
from contracts.messages import Availability, ConfigAck, RemoteConfig
from contracts.topics import TopicKind, topic_for
from edge.enrol import read_env_file

log = logging.getLogger(__name__)
RESTART_KEYS = ("box_id", "mqtt", "outbox_path", "metrics_port", "metrics_host", "detector")
CANDIDATE = ".candidate-edge.yaml"
GOOD = ".good-edge.yaml"
STATE = ".supervisor-state.json"


def needs_restart(current: dict[str, Any], remote: dict[str, Any]) -> bool:
    return any(k in remote and remote[k] != current.get(k) for k in RESTART_KEYS)


def agent_argv(config: Path) -> list[str]:
    return [sys.executable, "-m", "edge", "run", "--config", str(config)]


class Supervisor:
    def __init__(
        self,
        config_path: Path,
        *,
        settle_s: float = 10.0,
        start_timeout_s: float = 120.0,
        argv_for: Callable[[Path], list[str]] = agent_argv,
        env: dict[str, str] | None = None,
    ) -> None:
        self.config_path = config_path.resolve()
        self.folder = self.config_path.parent
        self.settle_s = settle_s
        self.start_timeout_s = start_timeout_s
        self.online_at = 0.0  # monotonic time the agent last announced itself online
        self.argv_for = argv_for
        self.env = dict(os.environ if env is None else env)
        creds = self.folder / "credentials.env"
        if creds.exists():
            self.env = {**read_env_file(creds), **self.env}
        self.base: dict[str, Any] = yaml.safe_load(self.config_path.read_text(encoding="utf-8"))
        self.state = self._load_state()
        good = self.folder / GOOD
        self.good_path = good if self.state.get("good") and good.exists() else self.config_path
        self.active: dict[str, Any] = yaml.safe_load(self.good_path.read_text(encoding="utf-8"))
        self.child: subprocess.Popen[bytes] | None = None
        self.inbox: queue.Queue[RemoteConfig] = queue.Queue()
        self.acks: list[ConfigAck] = []
        self.stop_event = threading.Event()
        self.client = self._mqtt()

    # --- state ---------------------------------------------------------------------------
    def _load_state(self) -> dict[str, Any]:
        p = self.folder / STATE
        if p.exists():
            state: dict[str, Any] = json.loads(p.read_text())
            return state
        return {"good": None, "bad": []}

    def _save_state(self) -> None:
        tmp = self.folder / (STATE + ".tmp")
        tmp.write_text(json.dumps(self.state))
        os.replace(tmp, self.folder / STATE)

    # --- MQTT ----------------------------------------------------------------------------
    @property
    def box_id(self) -> str:
        return str(self.base["box_id"])

    @property
    def prefix(self) -> str:
        return str(self.base.get("mqtt", {}).get("topic_prefix", "gridwall"))

    def _mqtt(self) -> mqtt.Client:
        conf = self.base.get("mqtt", {})
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"{self.box_id}-supervisor",
            protocol=mqtt.MQTTv5,
        )
        user = self.env.get(conf.get("username_env") or "")
        if user:
            c.username_pw_set(user, self.env.get(conf.get("password_env") or "", ""))
        topics = [
            (topic_for(self.prefix, TopicKind.CONFIG, self.box_id), 1),
            (topic_for(self.prefix, TopicKind.AVAILABILITY, self.box_id), 1),
        ]
        c.on_connect = lambda cl, *_a: cl.subscribe(topics)
        c.on_message = self._on_message
        return c

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/availability"):
            try:
                if decode_json(Availability, bytes(msg.payload)).state == "online":
                    self.online_at = time.monotonic()
            except ContractError:
                pass
            return
        try:
            self.inbox.put(decode_json(RemoteConfig, bytes(msg.payload), max_bytes=256 * 1024))
        except ContractError as exc:
            log.warning("ignoring a bad remote config: %s", exc)

    def _ack(self, config_id: str, status: str, reason: str | None) -> None:
        ack = ConfigAck(
            box_id=self.box_id,
            config_id=config_id,
            status=status,  # type: ignore[arg-type]
            reason=reason,
            at_ms=time.time_ns() // 1_000_000,
        )
        self.acks.append(ack)
        self.client.publish(
            topic_for(self.prefix, TopicKind.CONFIG_ACK, self.box_id), encode(ack), qos=1
        )

    # --- the child -----------------------------------------------------------------------
    def _start_child(self, config: Path) -> None:
        log_path = self.folder / ".agent.log"
        with log_path.open("wb") as out:
            self.child = subprocess.Popen(
                self.argv_for(config), stdout=out, stderr=subprocess.STDOUT, env=self.env
            )

    def _stop_child(self) -> None:
        if self.child is None or self.child.poll() is not None:
            return
        self.child.send_signal(signal.SIGTERM)
        try:
            self.child.wait(10)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait(5)

    def _last_words(self) -> str:
        p = self.folder / ".agent.log"
        lines = p.read_text(errors="replace").strip().splitlines() if p.exists() else []
        return " | ".join(lines[-3:])[-600:] or "no output"

    def _settles(self, started_at: float) -> str | None:
        """None once the agent announced itself online and then ran ``settle_s``; otherwise
        why it did not (it exited, or never came online within ``start_timeout_s``)."""
        deadline = started_at + self.start_timeout_s
        while True:
            now = time.monotonic()
            if self.child is None or self.child.poll() is not None:
                code = self.child.returncode if self.child is not None else None
                return f"agent exited with code {code} while starting: {self._last_words()}"
            if self.online_at > started_at and now - self.online_at >= self.settle_s:
                return None
            if self.online_at <= started_at and now > deadline:
                return f"agent did not come online within {self.start_timeout_s:g}s"
            time.sleep(0.05)

    # --- remote config -------------------------------------------------------------------
    def try_config(self, remote: RemoteConfig) -> str:
        """Start the agent with ``remote``; keep it or roll back. Returns what happened."""
        if remote.config_id in self.state["bad"] or remote.config_id == self.state["good"]:
            return "known"
        if not needs_restart(self.active, remote.config):
            return "live"  # the running agent applies (or rejects) it itself
        candidate = {**self.active, **remote.config}
        path = self.folder / CANDIDATE
        path.write_text(yaml.safe_dump(candidate, allow_unicode=True, sort_keys=False))
        self._stop_child()
        started_at = time.monotonic()
        self._start_child(path)
        failure = self._settles(started_at)
        if failure is None:
            os.replace(path, self.folder / GOOD)
            self.good_path, self.active = self.folder / GOOD, candidate
            self.state["good"] = remote.config_id
            self._save_state()
            log.info("config %s started and settled: kept", remote.config_id)
            return "kept"
        self._stop_child()
        self.state["bad"] = [*self.state["bad"], remote.config_id][-50:]
        self._save_state()
        self._start_child(self.good_path)
        reason = failure
        log.error("config %s rolled back: %s", remote.config_id, reason)
        self._ack(remote.config_id, "rolled_back", reason)
        return "rolled_back"

    def run(self) -> int:
        conn = MqttConnection.model_validate(self.base.get("mqtt", {}))
        if conn.tls:
            self.client.tls_set(ca_certs=conn.ca_file)
        self.client.connect_async(conn.host, conn.port, conn.keepalive_s)
        self.client.loop_start()
        self._start_child(self.good_path)
        backoff = 1.0
        try:
            while not self.stop_event.is_set():
                with contextlib.suppress(queue.Empty):
                    self.try_config(self.inbox.get(timeout=0.2))
                if self.child is not None and self.child.poll() is not None:
                    log.warning(
                        "agent exited (%s); restarting in %.0fs", self.child.returncode, backoff
                    )
                    if self.stop_event.wait(backoff):
                        break
                    backoff = min(backoff * 2, 60.0)
                    self._start_child(self.good_path)
        finally:
            self._stop_child()
            self.client.disconnect()
            self.client.loop_stop()
        return 0


def main(config: Path, settle_s: float, start_timeout_s: float = 120.0) -> int:
    sup = Supervisor(config, settle_s=settle_s, start_timeout_s=start_timeout_s)

    def _stop(_signum: int, _frame: object) -> None:
        sup.stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return sup.run()

"""A Mosquitto on this machine that takes the hub's ``passwd`` and ``acl``: the demo's broker.

``prepare`` gives the hub and each named box a fresh random broker password, keeps the
boxes' hashes where enrolment keeps them (Redis, so a box enrolled later does not drop them
from the files), renders ``passwd`` and ``acl`` into ``enrol.broker_dir`` and writes a
``mosquitto.conf`` beside them: one listener on 127.0.0.1, no anonymous clients, a pid file
for the hub's SIGHUP reload, persistence, and the queue bounded by bytes as in
``docker/mosquitto/mosquitto.conf``. The caller starts ``mosquitto -c`` on that file.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from hub.district import District
from hub.enrol.service import EnrolService
from hub.settings import HubSettings
from hub.store.keys import Keys
from hub.store.redis_client import async_redis

CONF = "mosquitto.conf"
PID = "mosquitto.pid"


@dataclass(frozen=True)
class LocalBroker:
    """Where the broker's files are and the logins made for this run (kept in memory only)."""

    folder: Path
    port: int
    hub_username: str
    hub_password: str
    box_passwords: dict[str, str]

    @property
    def conf(self) -> Path:
        return self.folder / CONF

    @property
    def pid_file(self) -> Path:
        return self.folder / PID

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


def broker_config(folder: Path, port: int, *, as_root: bool | None = None) -> str:
    """``mosquitto.conf`` for a broker on 127.0.0.1:``port`` reading ``folder``'s files."""
    folder = folder.resolve()
    lines = [
        "# Written by hub.enrol.local_broker: edits are overwritten.",
        f"listener {port} 127.0.0.1",
        "allow_anonymous false",
        f"password_file {folder / 'passwd'}",
        f"acl_file {folder / 'acl'}",
        f"pid_file {folder / PID}",
        "persistence true",
        f"persistence_location {folder}/",
        "autosave_interval 60",
        "set_tcp_nodelay true",
        # bounded by bytes; a count of 0 ("no limit") makes Mosquitto 2.0.11 drop a client
        # after refusing its publish, so a large count instead
        "max_queued_messages 1000000",
        "max_queued_bytes 268435456",
        f"log_dest file {folder / 'mosquitto.log'}",
    ]
    if as_root if as_root is not None else os.geteuid() == 0:
        # mosquitto started as root drops to user "mosquitto", which cannot read files the
        # hub wrote (mode 0640) under a folder of another user
        lines.append("user root")
    return "\n".join(lines) + "\n"


async def prepare(
    settings: HubSettings, district: District, boxes: list[str], port: int
) -> LocalBroker:
    """Fresh logins for the hub and ``boxes``, the broker's files and its config.

    The hub's password is only rendered when ``$<enrol.hub_password_env>`` is set, so it is
    put into this process's environment for the render; the caller passes it on to the hub.
    """
    enrol = settings.enrol
    hub_password = secrets.token_urlsafe(24)
    env = {**os.environ, enrol.hub_password_env: hub_password}
    redis = async_redis(settings.redis)
    try:
        svc = EnrolService(
            redis,
            Keys.for_district(settings.redis.key_prefix, district.county.code).prefix,
            settings.mqtt.topic_prefix,
            district,
            enrol.model_copy(update={"reload": "none"}),
            env=env,
        )
        passwords = {box: secrets.token_urlsafe(24) for box in boxes}
        now_ms = int(time.time() * 1000)
        for box, password in passwords.items():
            await svc.set_box_password(box, password, now_ms)
        folder = await svc.sync_broker_files()
    finally:
        await redis.aclose()
    broker = LocalBroker(folder, port, enrol.hub_username, hub_password, passwords)
    broker.conf.write_text(broker_config(folder, port), encoding="utf-8")
    return broker

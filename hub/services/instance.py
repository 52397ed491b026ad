"""The hub's instance name: the same after a restart, never the same for two live hubs.

The name is the base of the MQTT client id (so of the broker session and its share of the
group's messages) and the hub's Redis consumer name (so of its pending inbox entries). A
hub that comes back under the same name resumes both. In order:

1. ``mqtt.client_id`` (``GRIDWALL_MQTT_CLIENT_ID``): pinned, used as given;
2. ``mqtt.instance`` (``GRIDWALL_HUB_INSTANCE``): ``hub-{instance}``; a second process
   with the same instance on this host is refused;
3. otherwise ``hub-{host}-{n}``: ``n`` is the lowest number no other hub of the same
   broker, group and topic prefix holds on this host. Each number is an ``flock`` on a
   file under ``{tmp}/gridwall-hub``: the kernel lets go of it when the process ends,
   however it ends, so a hub killed and started again takes its number back, and two hubs
   started on one host get 0 and 1 with nothing configured.

Sessions of one group are interchangeable (the same subscriptions, messages of the same
stream), so a restarted hub that takes another free number than before resumes that
session instead, and its old one is left to a live hub to sweep (``membership``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hub.settings import HubMqtt

SLOTS = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class InstanceTaken(RuntimeError):
    """Another process on this host already runs as this instance."""


@dataclass
class Instance:
    name: str
    _fd: int | None = None

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def lock_dir() -> Path:
    """Where the instance locks live: shared by every user of the host (sticky, like /tmp);
    a per-user folder if another user made the shared one unwritable."""
    shared = Path(tempfile.gettempdir()) / "gridwall-hub"
    try:
        shared.mkdir(exist_ok=True)
        if shared.stat().st_uid == os.getuid():
            shared.chmod(0o1777)
        return shared
    except OSError:
        own = Path(tempfile.gettempdir()) / f"gridwall-hub-{os.getuid()}"
        own.mkdir(exist_ok=True)
        return own


def host_name() -> str:
    """The host name as a client id may carry it (letters, digits, '-', '_'; 32 at most)."""
    name = _UNSAFE.sub("-", socket.gethostname().split(".")[0]).strip("-")
    return (name or "host")[:32]


def _try_lock(path: Path) -> int | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None  # another user's file we may not open: taken as far as we know
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def claim(mqtt: HubMqtt, folder: Path | None = None) -> Instance:
    """The instance this process runs as; hold it until ``release`` (or exit)."""
    if mqtt.client_id:
        return Instance(mqtt.client_id)
    folder = folder or lock_dir()
    scope = f"{mqtt.host}:{mqtt.port}\n{mqtt.shared_group}\n{mqtt.topic_prefix}"
    tag = hashlib.sha1(scope.encode()).hexdigest()[:10]
    if mqtt.instance:
        fd = _try_lock(folder / f"{tag}-i-{mqtt.instance}.lock")
        if fd is None:
            raise InstanceTaken(
                f"hub instance {mqtt.instance!r} already runs on this host "
                f"(lock in {folder}); give each hub its own GRIDWALL_HUB_INSTANCE"
            )
        return Instance(f"hub-{mqtt.instance}", fd)
    host = host_name()
    for n in range(SLOTS):
        fd = _try_lock(folder / f"{tag}-{n}.lock")
        if fd is not None:
            return Instance(f"hub-{host}-{n}", fd)
    raise InstanceTaken(f"all {SLOTS} hub instance numbers on this host are taken ({folder})")

"""Mosquitto's password and ACL files, rendered from the hub's list of accounts.

Pure: strings in, strings out. The password file uses Mosquitto 2's ``$7$`` format
(PBKDF2-HMAC-SHA512, 12-byte salt) so the hub never shells out to ``mosquitto_passwd``.

The ACL confines a box to its own prefix: it may publish only the kinds a box sends, under
``{prefix}/v1/edge/{box_id}/``, and read only its own config, verify requests and
availability (its supervisor waits for the agent's ``online``). The hub
account reads and writes the whole prefix; responder app accounts read their own push topic.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from contracts.topics import API_VERSION

ITERATIONS = 101
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
BOX_PUBLISHES = (
    "availability",
    "event",
    "snapshot/+",
    "stats",
    "config/ack",
    "verify/response",
    "sensor/+",
)
BOX_READS = ("config", "verify/request", "availability")

Role = Literal["hub", "box", "responder"]


@dataclass(frozen=True)
class Account:
    """One broker login: ``password_hash`` is a ``$7$`` line tail, never the password."""

    username: str
    role: Role
    password_hash: str

    def __post_init__(self) -> None:
        if not _USER.match(self.username):
            raise ValueError(f"broker username {self.username!r} is not a safe name")
        if not self.password_hash.startswith("$7$"):
            raise ValueError(f"password hash for {self.username!r} is not in $7$ format")


def hash_password(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    if len(password) < 12:
        raise ValueError("broker passwords must be at least 12 characters")
    salt = salt if salt is not None else os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, password_hash: str) -> bool:
    _, kind, iterations, salt, digest = password_hash.split("$")
    if kind != "7":
        return False
    got = hashlib.pbkdf2_hmac(
        "sha512", password.encode(), base64.b64decode(salt), int(iterations), 64
    )
    return base64.b64encode(got).decode() == digest


def render_password_file(accounts: Iterable[Account]) -> str:
    rows = sorted(accounts, key=lambda a: a.username)
    _unique(rows)
    return "".join(f"{a.username}:{a.password_hash}\n" for a in rows)


def render_acl(prefix: str, accounts: Iterable[Account]) -> str:
    rows = sorted(accounts, key=lambda a: (a.role, a.username))
    _unique(rows)
    root = f"{prefix}/{API_VERSION}"
    out = ["# Rendered by the Gridwall hub (hub/enrol): edits are overwritten.", ""]
    for a in rows:
        out.append(f"user {a.username}")
        if a.role == "hub":
            out.append(f"topic readwrite {prefix}/#")
        elif a.role == "box":
            base = f"{root}/edge/{a.username}"
            out += [f"topic write {base}/{tail}" for tail in BOX_PUBLISHES]
            out += [f"topic read {base}/{tail}" for tail in BOX_READS]
        else:
            out.append(f"topic read {root}/responder/{a.username}/push")
        out.append("")
    return "\n".join(out)


def _unique(rows: list[Account]) -> None:
    seen: set[str] = set()
    for a in rows:
        if a.username in seen:
            raise ValueError(f"broker username {a.username!r} appears twice")
        seen.add(a.username)

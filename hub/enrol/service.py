"""Enrolment: a technician's one-time token becomes a box's broker account, config and cameras.

Accounts live in Redis (hashes only, never passwords); after each change the hub rewrites the
broker's password and ACL files atomically and asks the broker to reload them.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from redis.asyncio import Redis

from hub.district import District
from hub.enrol.broker_files import Account, hash_password, render_acl, render_password_file
from hub.enrol.settings import EnrolSettings
from hub.enrol.tokens import EnrolTokens, Grant

log = logging.getLogger(__name__)


class EnrolError(ValueError):
    pass


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o640)
    os.replace(tmp, path)


class EnrolService:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        topic_prefix: str,
        district: District,
        settings: EnrolSettings,
        *,
        env: dict[str, str] | None = None,
        reload: Callable[[], None] | None = None,
    ) -> None:
        self.r = redis
        self.prefix = prefix
        self.topic_prefix = topic_prefix
        self.district = district
        self.settings = settings
        self.env = dict(os.environ) if env is None else env
        self.tokens = EnrolTokens(redis, prefix)
        self._reload = reload or self._default_reload

    @property
    def _accounts_key(self) -> str:
        return f"{self.prefix}:enrol:accounts"

    def known_boxes(self) -> set[str]:
        return {c.box_id for c in self.district.cameras.values()}

    async def issue(
        self, box_id: str, issued_by: str, now_ms: int, ttl_s: int | None = None
    ) -> tuple[str, Grant]:
        if box_id not in self.known_boxes():
            raise EnrolError(
                f"box {box_id!r} has no cameras in the district; known boxes: "
                f"{sorted(self.known_boxes())}"
            )
        return await self.tokens.issue(
            box_id, issued_by, ttl_s or self.settings.token_ttl_s, now_ms
        )

    async def redeem(self, token: str, now_ms: int) -> dict[str, Any]:
        """Spend the token: new credentials for the box (replacing any old ones) and its bundle."""
        grant = await self.tokens.redeem(token)
        if grant.expires_ms < now_ms:
            raise EnrolError("enrolment token expired")
        password = secrets.token_urlsafe(24)
        await self.set_box_password(grant.box_id, password, now_ms)
        return self.bundle(grant.box_id, password)

    async def set_box_password(self, box_id: str, password: str, now_ms: int) -> None:
        """Give a district box this broker password (the old one stops working) and rewrite
        the broker's files. Enrolment makes a random one; the demo sets its boxes' itself."""
        if box_id not in self.known_boxes():
            raise EnrolError(f"box {box_id!r} has no cameras in the district")
        account = {"role": "box", "hash": hash_password(password), "enrolled_ms": now_ms}
        await self.r.hset(self._accounts_key, box_id, json.dumps(account))
        await self.sync_broker_files()

    async def accounts(self) -> list[Account]:
        raw = await self.r.hgetall(self._accounts_key)
        out = []
        for user, value in raw.items():
            d = json.loads(value)
            name = user.decode() if isinstance(user, bytes) else user
            out.append(Account(name, d["role"], d["hash"]))
        hub_pw = self.env.get(self.settings.hub_password_env)
        if hub_pw:
            out.append(Account(self.settings.hub_username, "hub", hash_password(hub_pw)))
        return out

    async def add_account(self, username: str, role: str, password: str) -> None:
        """A login made by hand (a responder app, a second hub): kept beside the boxes."""
        if role not in ("hub", "responder"):
            raise EnrolError(f"role {role!r}: boxes get accounts by enrolment only")
        Account(username, role, hash_password(password))  # type: ignore[arg-type]
        entry = {"role": role, "hash": hash_password(password)}
        await self.r.hset(self._accounts_key, username, json.dumps(entry))
        await self.sync_broker_files()

    async def sync_broker_files(self) -> Path:
        accounts = await self.accounts()
        folder = self.settings.broker_dir
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(folder / "passwd", render_password_file(accounts))
        _write_atomic(folder / "acl", render_acl(self.topic_prefix, accounts))
        self._reload()
        return folder

    def _default_reload(self) -> None:
        if self.settings.reload != "pidfile" or self.settings.broker_pid_file is None:
            return
        try:
            pid = int(self.settings.broker_pid_file.read_text().strip())
            os.kill(pid, signal.SIGHUP)
        except (OSError, ValueError) as exc:
            log.error(
                "could not ask the broker to reload (%s): %s", self.settings.broker_pid_file, exc
            )

    def bundle(self, box_id: str, password: str) -> dict[str, Any]:
        """What a box needs to start: identity, broker login, its cameras and the categories."""
        root = self.district.root
        cams = yaml.safe_load((root / "cameras.yaml").read_text(encoding="utf-8"))
        cats = yaml.safe_load((root / "categories.yaml").read_text(encoding="utf-8"))
        mine = [c for c in cams.get("cameras", []) if c.get("box_id") == box_id]
        return {
            "box_id": box_id,
            "mqtt": {
                "url": self.settings.box_broker_url,
                "topic_prefix": self.topic_prefix,
                "username": box_id,
                "password": password,
            },
            "cameras": {"cameras": mine},
            "categories": cats,
        }

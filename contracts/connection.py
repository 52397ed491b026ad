"""Broker connection settings, the same shape for the hub and the edge."""

from __future__ import annotations

import os
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MqttConnection(BaseModel):
    """Where the broker is and how to log in. Secrets come from the environment only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = "mqtt://127.0.0.1:1883"
    topic_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")] = "gridwall"
    username_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None
    password_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None
    ca_file: str | None = None
    keepalive_s: Annotated[int, Field(ge=5, le=3600)] = 30

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ValueError(f"broker URL {url!r} must start with mqtt:// or mqtts://")
        if not parts.hostname:
            raise ValueError(f"broker URL {url!r} has no host")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError(f"broker URL {url!r} has a bad port") from None
        return url

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    def credentials(self) -> tuple[str, str] | None:
        """Username and password read from the named environment variables, if set."""
        if self.username_env is None:
            return None
        user = os.environ.get(self.username_env)
        if user is None:
            return None
        return user, os.environ.get(self.password_env or "", "")

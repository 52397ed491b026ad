"""Enrolment settings (the ``enrol:`` section of hub.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class EnrolSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    broker_dir: Path = Path("var/broker")
    """Where the hub writes Mosquitto's ``passwd`` and ``acl`` files (relative: to the hub's
    working directory)."""
    box_broker_url: str = "mqtt://127.0.0.1:1883"
    """The broker address as a box sees it (may differ from the hub's own)."""
    token_ttl_s: Annotated[int, Field(ge=60, le=7 * 24 * 3600)] = 3600
    hub_username: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")] = "hub"
    hub_password_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] = (
        "GRIDWALL_HUB_MQTT_PASSWORD"
    )
    reload: Literal["none", "pidfile"] = "none"
    """How the broker learns of new files: ``pidfile`` sends SIGHUP to the pid in
    ``broker_pid_file``; ``none`` leaves it to a watcher (the compose file runs one)."""
    broker_pid_file: Path | None = None

    @field_validator("box_broker_url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("mqtt://", "mqtts://")):
            raise ValueError(f"box broker URL {url!r} must start with mqtt:// or mqtts://")
        return url

"""Push settings (the ``push:`` section of hub.yaml). The VAPID key is a file, never inline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PushSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    vapid_key_file: Path | None = None
    """PEM P-256 private key; in demo mode a missing file is generated, otherwise Web Push is off."""
    vapid_subject: str = "mailto:ops@gridwall.invalid"
    ttl_s: Annotated[int, Field(ge=0, le=28 * 24 * 3600)] = 3600
    mqtt_topics: bool = True
    """Also publish each push on ``{prefix}/v1/responder/{person_id}/push`` for native apps."""
    coalesce_s: Annotated[float, Field(ge=0, le=3600)] = 20.0
    quiet_s: Annotated[float, Field(ge=0, le=86_400)] = 600.0
    max_per_minute: Annotated[int, Field(ge=1, le=600)] = 6
    photo_max_bytes: Annotated[int, Field(ge=10_000, le=50_000_000)] = 5_000_000
    photos_max: Annotated[int, Field(ge=1, le=20)] = 4

    @field_validator("vapid_subject")
    @classmethod
    def _subject(cls, v: str) -> str:
        if not v.startswith(("mailto:", "https://")):
            raise ValueError(f"vapid_subject {v!r} must start with mailto: or https://")
        return v

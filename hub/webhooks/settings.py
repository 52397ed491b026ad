"""Webhook settings: one entry per sending system under ``intake.webhooks`` in hub.yaml.

The secret itself never sits in the file: ``secret_env`` names the environment variable
that holds it, checked at start (``hub.webhooks.service.load_secrets``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class WebhookSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Literal["hotline", "department"]
    """The import source whose cases are reported back (``POST /api/intake/import``)."""
    system: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = "12345"
    """The sending system, as the import names it (``system``)."""
    url: Annotated[str, Field(max_length=500)]
    """Where each status change is POSTed (``https://…``; ``http://`` on a private network)."""
    secret_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")]
    """Environment variable holding the shared secret (at least 32 characters)."""
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 10
    """Attempts before a delivery is dead-lettered."""
    backoff_s: Annotated[float, Field(gt=0, le=3600)] = 5.0
    """Wait after the first failed attempt; doubled after each further one."""
    backoff_max_s: Annotated[float, Field(gt=0, le=86_400)] = 900.0
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 10.0
    """How long one POST may take."""

    @property
    def hook_id(self) -> str:
        return f"{self.source}:{self.system}"

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"webhook url {url!r} must start with https:// or http://")
        return url

    @model_validator(mode="after")
    def _backoff(self) -> WebhookSettings:
        if self.backoff_max_s < self.backoff_s:
            raise ValueError(
                f"backoff_max_s {self.backoff_max_s} is below backoff_s {self.backoff_s}"
            )
        return self


def unique_hooks(hooks: list[WebhookSettings]) -> list[WebhookSettings]:
    """The list, or ``ValueError`` naming a (source, system) given twice."""
    seen: set[str] = set()
    for h in hooks:
        if h.hook_id in seen:
            raise ValueError(f"webhook {h.hook_id!r} is listed twice")
        seen.add(h.hook_id)
    return hooks

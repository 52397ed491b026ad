"""Intake settings (the ``intake:`` section of hub.yaml)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.webhooks.settings import WebhookSettings, unique_hooks


class IntakeSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    photo_max_bytes: Annotated[int, Field(ge=10_000, le=50_000_000)] = 5_000_000
    """A report's photo past this size is refused (413), and the report with it."""
    photos_max: Annotated[int, Field(ge=1, le=10)] = 4
    """Most photos of the problem per report (after-photos of a fix on the spot as many)."""
    public_reports_per_window: Annotated[int, Field(ge=1, le=10_000)] = 5
    """Citizen reports one client address may send per window; then 429."""
    public_window_s: Annotated[int, Field(ge=10, le=86_400)] = 3600
    public_lookups_per_window: Annotated[int, Field(ge=1, le=100_000)] = 60
    """Case look-ups by number one client address may make per window; then 429."""
    ref_days: Annotated[int, Field(ge=1, le=3650)] = 400
    """How long a source's reference (report id, form id, external reference) is remembered:
    the same reference within this time is the same report."""
    place_key_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] = "GRIDWALL_HUB_PLACE_KEY"
    """Environment variable holding the key that signs place tokens (QR codes); unset, a key
    made once and kept in Redis signs them."""
    public_url: Annotated[str, Field(max_length=200)] | None = None
    """The hub's address as citizens' phones reach it (``https://…``), printed in the QR
    codes; unset, the address the operator's request came to."""

    webhooks: list[WebhookSettings] = []
    """Status back to each 12345 / department system: a signed POST per change of state of
    the cases it imported (``hub.webhooks``)."""

    @field_validator("webhooks")
    @classmethod
    def _unique(cls, hooks: list[WebhookSettings]) -> list[WebhookSettings]:
        return unique_hooks(hooks)

    @field_validator("public_url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError(f"public_url {url!r} must start with https:// or http://")
        return url.rstrip("/") if url else url

"""Fleet settings (the ``fleet:`` section of hub.yaml)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


class FleetSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    heartbeat_timeout_s: Annotated[float, Field(ge=1, le=3600)] = 35.0
    """A box silent this long is offline (boxes send stats every 10 s by default)."""
    check_interval_s: Annotated[float, Field(ge=0.1, le=60)] = 1.0
    rollout_timeout_s: Annotated[float, Field(ge=5, le=86_400)] = 300.0
    """A box that has not acknowledged a pushed config by then is marked ``timed_out``."""

    @model_validator(mode="after")
    def _order(self) -> FleetSettings:
        if self.check_interval_s >= self.heartbeat_timeout_s:
            raise ValueError(
                f"check_interval_s {self.check_interval_s} must be shorter than "
                f"heartbeat_timeout_s {self.heartbeat_timeout_s}"
            )
        return self

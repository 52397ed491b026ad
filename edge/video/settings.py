"""Settings of a box's video server: codec, renditions, idle stop, where it listens.

Strict like every settings model here: unknown keys are errors, numbers are bounded. The
token a hub must present comes from the environment variable named by ``token_env``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rendition(_Strict):
    """One encoded size of a camera: ``main`` for the focus tile, ``sub`` for wall tiles."""

    width: Annotated[int, Field(ge=16, le=3840, multiple_of=2)]
    height: Annotated[int, Field(ge=16, le=2160, multiple_of=2)]
    fps: Annotated[float, Field(gt=0, le=60)]
    bitrate_bps: Annotated[int, Field(ge=50_000, le=20_000_000)]


DEFAULT_RENDITIONS = {
    "main": Rendition(width=640, height=360, fps=10, bitrate_bps=800_000),
    "sub": Rendition(width=320, height=180, fps=10, bitrate_bps=250_000),
}


class EdgeVideoSettings(_Strict):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8554
    codec: Literal["vp8", "h264"] = "vp8"
    renditions: dict[str, Rendition] = Field(default_factory=lambda: dict(DEFAULT_RENDITIONS))
    keyframe_interval_s: Annotated[float, Field(gt=0, le=10)] = 1.0
    idle_stop_s: Annotated[float, Field(ge=0, le=600)] = 5.0
    client_queue_packets: Annotated[int, Field(ge=2, le=600)] = 30
    token_env: str = "GRIDWALL_VIDEO_TOKEN"

    @model_validator(mode="after")
    def _names(self) -> EdgeVideoSettings:
        for name in self.renditions:
            if not name.isidentifier():
                raise ValueError(f"rendition name {name!r} must be a plain identifier")
            if name == "camera":
                raise ValueError("rendition name 'camera' is kept for a camera's own H.264")
        if not self.renditions:
            raise ValueError("renditions must name at least one rendition")
        return self

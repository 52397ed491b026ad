"""Settings of the hub's video relay, strict like every settings model here.

``public_base_url`` is where the wall finds the WHEP endpoints: empty means this hub itself;
a MediaMTX or go2rtc in front is one URL here, and the wall page does not change. Secrets
(the viewer token, TURN credentials, the edge boxes' token) come from environment variables
whose names are given here, never from the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CAMERA_ID = r"^[A-Za-z0-9_-]{1,64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IceServer(_Strict):
    urls: list[str]
    username: str | None = None
    credential_env: str | None = None  # the TURN password's environment variable

    @field_validator("urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("stun:", "turn:", "turns:")):
                raise ValueError(f"ICE server URL {url!r} must start with stun:, turn: or turns:")
        return urls

    def credential(self, env: dict[str, str]) -> str | None:
        return env.get(self.credential_env) if self.credential_env else None


class CameraVideo(_Strict):
    """Where one camera's video comes from.

    ``http://box:8554`` pulls the box's encoded stream (edge/video);
    ``rtsp://...`` (or a file path) pulls the camera itself and passes its H.264 through.
    """

    url: str
    rtsp_transport: Literal["tcp", "udp"] = "tcp"
    """For ``rtsp://``: RTP interleaved in the TCP session, or over UDP."""

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://", "rtsp://", "rtsps://", "file:")):
            raise ValueError(
                f"camera video URL {url!r} must start with http(s):// (an edge box), "
                "rtsp(s):// (the camera) or file:"
            )
        return url


class VideoSettings(_Strict):
    public_base_url: str = ""
    token_env: str = "GRIDWALL_VIDEO_TOKEN"  # viewers' bearer token (until hub auth exists)
    edge_token_env: str = "GRIDWALL_VIDEO_TOKEN"  # what the hub presents to edge boxes
    ice_servers: list[IceServer] = Field(default_factory=list)
    cameras: dict[Annotated[str, Field(pattern=CAMERA_ID)], CameraVideo] = Field(
        default_factory=dict
    )
    renditions: list[str] = Field(default_factory=lambda: ["main", "sub"])
    prebuffer_rendition: str | None = "main"  # kept running always, feeds the pre-event buffer
    # the cameras whose pre-event buffer runs (their prebuffer rendition pulled always);
    # None: every camera. At county size name the few whose alarm clips the hub must cut, or
    # none: every other stream is pulled only while someone watches it (docs/video.md)
    prebuffer_cameras: list[Annotated[str, Field(pattern=CAMERA_ID)]] | None = None
    prebuffer_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    idle_stop_s: Annotated[float, Field(ge=0, le=600)] = 10.0
    viewer_queue_packets: Annotated[int, Field(ge=2, le=600)] = 20
    stall_drop_s: Annotated[float, Field(gt=0, le=60)] = 3.0
    max_viewers: Annotated[int, Field(ge=1, le=10_000)] = 500
    max_clip_s: Annotated[float, Field(gt=0, le=600)] = 60.0

    @field_validator("prebuffer_rendition")
    @classmethod
    def _pre(cls, value: str | None) -> str | None:
        if value is not None and not value.isidentifier():
            raise ValueError(f"prebuffer_rendition {value!r} must be a rendition name")
        return value

    @model_validator(mode="after")
    def _prebuffered_known(self) -> VideoSettings:
        unknown = sorted(set(self.prebuffer_cameras or []) - set(self.cameras))
        if unknown:
            raise ValueError(f"prebuffer_cameras names {unknown[0]!r}, which is not in cameras")
        return self

    def rendition_known(self, name: str) -> bool:
        return name in self.renditions

    def prebuffers(self, camera_id: str, rendition: str) -> bool:
        """Whether this camera × rendition feeds a pre-event buffer (pulled always)."""
        return rendition == self.prebuffer_rendition and (
            self.prebuffer_cameras is None or camera_id in self.prebuffer_cameras
        )


def load_video_settings(path: Path) -> VideoSettings:
    """Read the ``video:`` section of a YAML file (or the whole file when it has none)."""
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if isinstance(raw, dict) and "video" in raw:
        raw = raw["video"]
    return VideoSettings.model_validate(raw)


def token_from_env(name: str, env: dict[str, str] | None = None) -> str:
    value = (os.environ if env is None else env).get(name, "")
    if not value:
        raise ValueError(f"environment variable {name} holds no video token")
    return value

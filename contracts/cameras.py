"""Camera, zone and stream schema, shared by the hub (placement) and the edge (capture).

It lives in the contract because the hub's remote config carries it to a box. A camera
stores where it is mounted *and*, per zone, the map point it looks at: the grid of an alarm
comes from the zone's target, not from the pole.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.messages import CategoryCode, Identifier
from contracts.zone_geometry import zone_problems

Lon = Annotated[float, Field(ge=-180.0, le=180.0)]
Lat = Annotated[float, Field(ge=-90.0, le=90.0)]
Norm = Annotated[float, Field(ge=0.0, le=1.0)]
PointNorm = tuple[Norm, Norm]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GeoPoint(Strict):
    lon: Lon
    lat: Lat


class SyntheticStream(Strict):
    """A procedural scene (``edge.synth``) playing a named preset or an inline script."""

    kind: Literal["synthetic"]
    preset: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")] | None = None
    script: dict[str, Any] | None = None
    seed: Annotated[int, Field(ge=0)] = 0
    speed: Annotated[float, Field(ge=0, le=100)] = 1.0
    """Scene seconds per wall second; 0 plays as fast as the pipeline takes frames."""

    @model_validator(mode="after")
    def _one_of(self) -> SyntheticStream:
        if (self.preset is None) == (self.script is None):
            raise ValueError("a synthetic stream needs exactly one of 'preset' or 'script'")
        return self


class UrlStream(Strict):
    """An RTSP camera (PyAV: H.264/H.265, TCP or UDP), or an HTTP stream or video file
    (OpenCV's FFmpeg backend)."""

    kind: Literal["rtsp", "http", "file"]
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    loop: bool = False
    transport: Literal["tcp", "udp"] = "tcp"
    """RTSP only: RTP interleaved in the TCP session, or over UDP (lower latency, losses)."""


class UsbStream(Strict):
    kind: Literal["usb"]
    device: Annotated[int, Field(ge=0, le=63)] | Annotated[str, Field(pattern=r"^/dev/\S+$")]


class ImageFolderStream(Strict):
    kind: Literal["images"]
    path: Annotated[str, Field(min_length=1)]
    loop: bool = True


StreamSource = Annotated[
    SyntheticStream | UrlStream | UsbStream | ImageFolderStream, Field(discriminator="kind")
]


class StreamSettings(Strict):
    """The main stream is for viewing; detection runs on a small sub-stream."""

    main: StreamSource
    sub: StreamSource | None = None
    resolution_wh: tuple[
        Annotated[int, Field(ge=64, le=7680)], Annotated[int, Field(ge=64, le=4320)]
    ] = (
        1280,
        720,
    )
    fps: Annotated[float, Field(gt=0, le=60)] = 10.0
    detect_resolution_wh: tuple[
        Annotated[int, Field(ge=64, le=1920)], Annotated[int, Field(ge=64, le=1080)]
    ] = (640, 360)
    detect_fps: Annotated[float, Field(gt=0, le=30)] = 5.0


class ZoneRules(Strict):
    """Per-zone rule settings; each rule only runs for the categories the zone allows."""

    cylinder_min_count: Annotated[int, Field(ge=1, le=50)] = 3
    cylinder_hold_s: Annotated[float, Field(ge=0, le=3600)] = 5.0
    waste_still_s: Annotated[float, Field(ge=0, le=3600)] = 8.0
    dust_hold_s: Annotated[float, Field(ge=0, le=3600)] = 5.0
    min_confidence: Norm = 0.35
    min_area_norm: Norm = 0.0005
    class_confidence: dict[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")], Norm] = {}
    """Per detector class minimum confidence, overriding ``min_confidence``."""
    dust_haze_margin: Norm | None = 0.2
    """Haze score above the zone's learned baseline that counts as dust; None: detector only."""
    pm10_high_ug_m3: Annotated[float, Field(ge=0, le=100_000)] = 150.0
    """A PM10 reading at or above this at the same site raises the dust alert's confidence."""


class Zone(Strict):
    zone_id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=80)]
    polygon_norm: Annotated[list[PointNorm], Field(min_length=3, max_length=64)]
    categories: Annotated[list[CategoryCode], Field(min_length=1)]
    target: GeoPoint
    rules: ZoneRules = ZoneRules()

    @model_validator(mode="after")
    def _drawable(self) -> Zone:
        problems = zone_problems(self.polygon_norm)
        if problems:
            raise ValueError(f"polygon_norm: {'; '.join(problems)}")
        return self


class PtzOnAlarm(Strict):
    """An ONVIF PTZ camera (this one or another) that turns to a preset when this camera
    raises an alert, and back to its home preset ``return_after_s`` after the last one."""

    device_url: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=500)]
    username_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None
    password_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None
    profile: Annotated[str, Field(min_length=1, max_length=64)]
    preset: Annotated[str, Field(min_length=1, max_length=64)]
    home_preset: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    return_after_s: Annotated[float, Field(ge=1, le=3600)] = 60.0


class Camera(Strict):
    camera_id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=80)]
    box_id: Identifier
    mount: GeoPoint
    stream: StreamSettings
    zones: Annotated[list[Zone], Field(min_length=1, max_length=32)]
    masks_norm: list[Annotated[list[PointNorm], Field(min_length=3)]] = []
    ptz_on_alarm: PtzOnAlarm | None = None

    @model_validator(mode="after")
    def _unique_zones(self) -> Camera:
        seen: set[str] = set()
        for zone in self.zones:
            if zone.zone_id in seen:
                raise ValueError(f"zone id {zone.zone_id!r} appears twice")
            seen.add(zone.zone_id)
        return self


class CameraList(Strict):
    """The body of a ``cameras.yaml`` file."""

    cameras: list[Camera]

    @model_validator(mode="after")
    def _unique_cameras(self) -> CameraList:
        seen: set[str] = set()
        for cam in self.cameras:
            if cam.camera_id in seen:
                raise ValueError(f"camera id {cam.camera_id!r} appears twice")
            seen.add(cam.camera_id)
        return self

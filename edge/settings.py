"""The edge agent's one settings model, loaded from ``configs/edge/*.yaml``.

A box config names the box, its broker, its detector, and the district's camera and
category files; the agent keeps only the cameras whose ``box_id`` is this box. Unknown keys
are errors. ``GRIDWALL_MQTT_URL`` and ``GRIDWALL_TOPIC_PREFIX`` override the broker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.cameras import Camera, CameraList
from contracts.categories import Category, CategoryList
from contracts.config_problems import (
    ConfigError,
    ConfigProblem,
    parse_yaml,
    problem,
    problems_from_validation,
)
from contracts.connection import MqttConnection
from contracts.messages import Identifier
from edge.recording.settings import RecordingSettings
from edge.zone_overrides import with_zones


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DetectorSettings(Strict):
    backend: Literal["onnx", "onnxruntime", "openvino", "auto", "ultralytics", "truth"] = "onnx"
    """Which runtime runs the ``.onnx`` model: ``onnxruntime`` (``onnx`` is its older name),
    ``openvino`` (x86 boxes with the ``openvino`` extra), or ``auto`` (OpenVINO where it is
    installed, else ONNX Runtime); ``ultralytics`` runs ``.pt`` weights (training extra);
    ``truth`` reads a synthetic scene's ground truth: a test seam, never for a real camera."""
    model_path: Path = Path("../../models/gridwall-det-320.onnx")
    input_size: Annotated[int, Field(ge=64, le=1280, multiple_of=32)] = 320
    class_names: Annotated[
        list[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]], Field(min_length=1)
    ] = [
        "gas_cylinder",
        "waste",
        "dust",
        "overflow",
    ]
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    """The decode floor: detections under it are dropped before tracking and verification
    (keep it under every alert threshold's verify fraction)."""
    alert_confidence: (
        dict[
            Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")], Annotated[float, Field(ge=0, le=1)]
        ]
        | None
    ) = None
    """Per-class alert thresholds of the model; None: the ``alert_confidence`` of the
    ``classes.yaml`` beside the model file (chosen on validation, see the model card). A zone's
    ``class_confidence`` or an explicit ``min_confidence`` overrides them."""
    iou: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    threads: Annotated[int, Field(ge=1, le=16)] = 1


class PipelineSettings(Strict):
    """How each camera's pipeline runs; the same for every camera of the box."""

    queue_size: Annotated[int, Field(ge=1, le=64)] = 2
    motion_gating: bool = True
    motion_threshold_norm: Annotated[float, Field(gt=0, le=1)] = 0.002
    full_scan_s: Annotated[float, Field(gt=0, le=600)] = 2.0
    track_max_age_s: Annotated[float, Field(gt=0, le=600)] = 6.0
    clear_s: Annotated[float, Field(ge=0, le=3600)] = 10.0
    update_interval_s: Annotated[float, Field(ge=0.5, le=3600)] = 15.0
    snapshot_max_bytes: Annotated[int, Field(ge=8 * 1024, le=512 * 1024)] = 200 * 1024
    snapshot_width: Annotated[int, Field(ge=160, le=3840)] = 960
    offline_after_s: Annotated[float, Field(ge=0.5, le=3600)] = 10.0
    reconnect_max_s: Annotated[float, Field(ge=0.1, le=600)] = 15.0
    source_timeout_s: Annotated[float, Field(ge=0.5, le=120)] = 5.0
    """A network camera's open and read timeout: no data (a stall), or no decodable picture
    (garbage), for this long and it is reconnected."""
    verify_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    verify_confidence_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5
    """Verification looks for the case's classes down to this fraction of each class's alert
    threshold (never under the detector's own ``confidence`` floor)."""
    verify_change_min: Annotated[float, Field(gt=0, lt=1)] = 0.2
    """Scene change against the alarm frame (0 same, 1 unrelated) a zone must reach before
    "nothing found" counts as clear; below it a person decides (``edge.scene_change``)."""

    @model_validator(mode="after")
    def _ages(self) -> PipelineSettings:
        if self.motion_gating and self.track_max_age_s <= self.full_scan_s:
            raise ValueError(
                f"track_max_age_s {self.track_max_age_s} must exceed full_scan_s "
                f"{self.full_scan_s}, or still objects lose their tracks between scans"
            )
        return self


class EdgeSettings(Strict):
    box_id: Identifier
    mqtt: MqttConnection = MqttConnection()
    cameras_file: Path = Path("../district/cameras.yaml")
    categories_file: Path = Path("../district/categories.yaml")
    detector: DetectorSettings = DetectorSettings()
    outbox_path: Path = Path("../../var/edge/outbox.sqlite")
    stats_interval_s: Annotated[float, Field(ge=1, le=3600)] = 10.0
    metrics_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    metrics_host: Annotated[str, Field(pattern=r"^[A-Za-z0-9.:_-]{1,253}$")] = "127.0.0.1"
    """Where the Prometheus endpoint listens (it has no auth): this box only, unless a
    scraper elsewhere needs it (then the box's LAN address, behind a firewall)."""
    pipeline: PipelineSettings = PipelineSettings()
    cameras: list[dict[str, Any]] | None = None
    """Cameras inline (a remote config carries them so); otherwise read from ``cameras_file``."""
    categories: list[dict[str, Any]] | None = None
    """Categories inline; otherwise read from ``categories_file``."""
    zones: dict[Identifier, list[dict[str, Any]]] | None = None
    """Zones set remotely (the hub's zone editor), by camera id: each list replaces that
    camera's zones and nothing else of it (``edge/zone_overrides.py``)."""
    recording: RecordingSettings | None = None
    """Continuous recording of the cameras' main streams (``edge/recording``); None: none."""


class EdgeConfig(Strict):
    """Settings plus the cameras and categories they point at, checked together."""

    settings: EdgeSettings
    cameras: list[Camera]
    categories: dict[str, Category]


ENV_OVERRIDES = {"GRIDWALL_MQTT_URL": "url", "GRIDWALL_TOPIC_PREFIX": "topic_prefix"}


def _resolve(base: Path, p: Path) -> Path:
    return p if p.is_absolute() else (base / p).resolve()


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([problem(str(path), "", f"cannot read: {exc.strerror or exc}")]) from None
    return parse_yaml(text, str(path))


def parse_edge_config(
    data: Any, name: str, base: Path, env: dict[str, str] | None = None
) -> EdgeConfig:
    """Validate a box config held in memory (a file, or a remote config from the hub)."""
    env = dict(os.environ) if env is None else env
    if not isinstance(data, dict):
        raise ConfigError([problem(name, "", "must be a mapping of keys", data)])
    mqtt = data.get("mqtt")
    for var, key in ENV_OVERRIDES.items():
        if env.get(var) and (mqtt is None or isinstance(mqtt, dict)):
            mqtt = {**(mqtt or {}), key: env[var]}
            data = {**data, "mqtt": mqtt}
    try:
        settings = EdgeSettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, name, data)) from None
    settings = settings.model_copy(
        update={
            "cameras_file": _resolve(base, settings.cameras_file),
            "categories_file": _resolve(base, settings.categories_file),
            "outbox_path": _resolve(base, settings.outbox_path),
            "detector": settings.detector.model_copy(
                update={"model_path": _resolve(base, settings.detector.model_path)}
            ),
            "recording": settings.recording.resolved(base) if settings.recording else None,
        }
    )
    problems: list[ConfigProblem] = []
    cams_raw: Any = (
        {"cameras": settings.cameras}
        if settings.cameras is not None
        else _load_yaml(settings.cameras_file)
    )
    cats_raw: Any = (
        {"categories": settings.categories}
        if settings.categories is not None
        else _load_yaml(settings.categories_file)
    )
    cameras = categories = None
    try:
        cameras = CameraList.model_validate(cams_raw)
    except ValidationError as exc:
        cams_name = name if settings.cameras is not None else str(settings.cameras_file)
        problems += problems_from_validation(exc, cams_name, cams_raw)
    try:
        categories = CategoryList.model_validate(cats_raw)
    except ValidationError as exc:
        cats_name = name if settings.categories is not None else str(settings.categories_file)
        problems += problems_from_validation(exc, cats_name, cats_raw)
    if cameras is None or categories is None:
        raise ConfigError(problems)
    mine = [c for c in cameras.cameras if c.box_id == settings.box_id]
    if not mine:
        problems.append(
            problem(
                name,
                "box_id",
                f"no camera in {settings.cameras_file} names this box",
                settings.box_id,
            )
        )
    mine_ids = {c.camera_id for c in mine}
    for cam_id in (settings.recording.cameras or []) if settings.recording else []:
        if cam_id not in mine_ids:
            problems.append(problem(name, "recording.cameras", "not a camera of this box", cam_id))
    mine, zone_problems = with_zones(mine, settings.zones, name)
    problems += zone_problems
    by_code = categories.by_code()
    known_classes = set(settings.detector.class_names)
    for cam in mine:
        for zone in cam.zones:
            for code in zone.categories:
                if code not in by_code:
                    problems.append(
                        problem(
                            str(settings.cameras_file),
                            f"cameras[{cam.camera_id}].zones[{zone.zone_id}].categories",
                            "unknown category (not in categories file)",
                            code,
                        )
                    )
    for cat in by_code.values():
        for cls in cat.detector_classes:
            if cls not in known_classes:
                problems.append(
                    problem(
                        str(settings.categories_file),
                        f"categories[{cat.code}].detector_classes",
                        f"the detector has no such class (it knows {sorted(known_classes)})",
                        cls,
                    )
                )
    if problems:
        raise ConfigError(problems)
    return EdgeConfig(settings=settings, cameras=mine, categories=by_code)


def load_edge_config(path: Path, env: dict[str, str] | None = None) -> EdgeConfig:
    return parse_edge_config(_load_yaml(path), str(path), path.parent, env)

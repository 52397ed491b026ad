"""False alarms per camera-day on a synthetic day with distractors only.

Plays synthetic cameras whose scripts hold no target at all (people walking by, most of them
carrying bags, with a moving shadow; cars and vans; clouds and sun changing the light; fixed
hard negatives: bins, water jugs, buckets, fire extinguishers) on street and construction-site
backgrounds, each with its own seed, through the edge agent's own camera pipeline: capture
thread → queue → detector (the real ONNX model) → tracker → zones → rules → alert lifecycle,
with the box's pipeline settings and the district's zone polygon, stream size and detect fps.
Frames carry a simulated clock (scene time on a fixed epoch) and the capture plays lock-step,
so the rules see the scripted durations while the run goes as fast as the CPU allows.

Every alert that starts (a lifecycle ``new``) is a false alarm. Per category and in total it
prints alerts, the camera-hours that watched the category and
false alarms per camera-day = alerts × 24 / camera-hours.

``--with-targets`` adds a target episode every ``--target-every-min`` scene minutes on each
camera (gas cylinders and dumped waste on the street; dust, cylinders and waste on the site)
and reports how many of them alerted, so a harness that can never alert shows itself; alerts
outside a matching episode still count as false alarms there.

Usage: python bench/false_alarms_day.py [--minutes 90] [--cameras 6] [--model PATH]
       [--class-names a,b,c] [--with-targets] [--backend onnx|truth]
The last printed line is one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import edge.zones as edge_zones  # noqa: E402
from contracts.cameras import Camera, SyntheticStream  # noqa: E402
from contracts.categories import Category  # noqa: E402
from edge.detect import Detector, build_detector  # noqa: E402
from edge.detections import Detections  # noqa: E402
from edge.frame_tap import FrameTap  # noqa: E402
from edge.pipeline import CameraPipeline, StepContext  # noqa: E402
from edge.settings import EdgeConfig, parse_edge_config  # noqa: E402
from edge.sources.base import Frame, SourceEnded  # noqa: E402
from edge.synth import SceneScript, SyntheticScene  # noqa: E402
from edge.synth.script import TARGET_CLASS  # noqa: E402

DEFAULT_MODEL = REPO / "models" / "gridwall-det-320.onnx"
EDGE_CONFIG = REPO / "configs" / "edge" / "edge-01.yaml"
EPOCH_MS = 1_800_000_000_000
"""Scene time zero on the simulated clock (a fixed instant, so event ids repeat run to run)."""
BACKGROUNDS = ("street", "site")
TEMPLATE_PRESET = {"street": "street_corner", "site": "construction_site"}
TARGETS_BY_BACKGROUND: dict[str, tuple[str, ...]] = {
    "street": ("gas_cylinder_stack", "waste_dump"),
    "site": ("dust_plume", "gas_cylinder_stack", "waste_dump"),
}
TARGET_EPISODE: dict[str, dict[str, Any]] = {  # where the must-show scene puts them
    "gas_cylinder_stack": {"region_norm": (0.12, 0.58, 0.36, 0.82), "count": 4},
    "waste_dump": {"region_norm": (0.6, 0.6, 0.8, 0.8), "pile": True},
    "dust_plume": {"region_norm": (0.3, 0.25, 0.7, 0.8)},
}
TARGET_S = 30.0


# --- the synthetic day -----------------------------------------------------------------------


def distractor_script(background: str, span_s: float, seed: int) -> dict[str, Any]:
    """A script of ``span_s`` scene seconds holding only distractor episodes.

    Groups of 1-5 walkers arrive every 10-40 s (each group 12-30 s, 70% carrying bags, with
    a shadow sweeping the ground), a vehicle crosses every 20-90 s, and the light dims or
    brightens (gain 0.45-1.5) for 10-40 s every 1-4 minutes.
    """
    rng = np.random.default_rng([seed, 0xFA15E])
    episodes: list[dict[str, Any]] = []

    def add(kind: str, start: float, length: float, **extra: Any) -> None:
        end = min(start + length, span_s)
        if end - start >= 2.0:
            episodes.append(
                {"kind": kind, "start_s": round(start, 2), "end_s": round(end, 2), **extra}
            )

    t = float(rng.uniform(0.0, 10.0))
    while t < span_s:
        add("distractor_walkers", t, float(rng.uniform(12, 30)), walkers=int(rng.integers(1, 6)))
        t += float(rng.uniform(10, 40))
    t = float(rng.uniform(5.0, 40.0))
    while t < span_s:
        add("distractor_vehicle", t, float(rng.uniform(4, 8)))
        t += float(rng.uniform(20, 90))
    t = float(rng.uniform(20.0, 120.0))
    while t < span_s:
        gain = float(rng.uniform(0.45, 0.85) if rng.random() < 0.7 else rng.uniform(1.15, 1.5))
        add("lighting_change", t, float(rng.uniform(10, 40)), gain=round(gain, 2))
        t += float(rng.uniform(60, 240))
    return {"background": background, "duration_s": span_s, "loop": False, "episodes": episodes}


def add_targets(
    script: dict[str, Any], every_s: float, kinds: tuple[str, ...]
) -> list[tuple[str, float, float]]:
    """Put a target episode every ``every_s`` (cycling ``kinds``) into ``script``; return
    (kind, start_s, end_s) of each."""
    span = float(script["duration_s"])
    placed: list[tuple[str, float, float]] = []
    start = min(60.0, every_s / 2)
    i = 0
    while start + TARGET_S <= span:
        kind = kinds[i % len(kinds)]
        ep = {"kind": kind, "start_s": start, "end_s": start + TARGET_S, **TARGET_EPISODE[kind]}
        script["episodes"].append(ep)
        placed.append((kind, start, start + TARGET_S))
        start += every_s
        i += 1
    return placed


# --- the model -------------------------------------------------------------------------------


def sha256_12(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def onnx_class_names(path: Path) -> tuple[str, ...] | None:
    """Class names from the ONNX metadata key ``names`` (None when it has none)."""
    from models.onnx_detect import OnnxDetector

    names = OnnxDetector(path).names
    return tuple(names[k] for k in sorted(names)) if names else None


def alert_confidence(path: Path | None, names: tuple[str, ...]) -> dict[str, float] | None:
    """The ``alert_confidence`` mapping of a classes.yaml (class name or id → threshold),
    restricted to ``names``; None when the file or the key is absent."""
    if path is None or not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raw = data.get("alert_confidence") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        return None
    out: dict[str, float] = {}
    for key, value in raw.items():
        name = names[key] if isinstance(key, int) and 0 <= key < len(names) else str(key)
        if name not in names:
            print(f"classes.yaml: alert_confidence names {key!r}, not a model class", flush=True)
            continue
        conf = float(value)
        if not 0.0 <= conf <= 1.0:
            raise SystemExit(f"{path}: alert_confidence[{key}] = {value} is not in 0-1")
        out[name] = conf
    return out


# --- the cameras -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CameraPlan:
    camera_id: str
    background: str
    seed: int
    span_s: float
    frames: int
    targets: tuple[tuple[str, float, float], ...] = ()


def district_templates(edge_config: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The box's raw settings and, per background, the first district camera showing it."""
    box = yaml.safe_load(edge_config.read_text(encoding="utf-8"))
    cams_file = (edge_config.parent / box["cameras_file"]).resolve()
    cams = yaml.safe_load(cams_file.read_text(encoding="utf-8"))["cameras"]
    templates: dict[str, dict[str, Any]] = {}
    for bg, preset in TEMPLATE_PRESET.items():
        templates[bg] = next(c for c in cams if c["stream"]["main"].get("preset") == preset)
    return box, templates


def build_config(
    box: dict[str, Any],
    templates: dict[str, dict[str, Any]],
    plans: list[tuple[CameraPlan, dict[str, Any]]],
    *,
    backend: str,
    model: Path,
    class_names: tuple[str, ...],
    thresholds: dict[str, float] | None,
    zones: str,
    base: Path,
) -> EdgeConfig:
    """An edge config with one camera per plan: the district template's stream size, detect
    fps, zone polygon and rules, its synthetic scene replaced by the plan's script."""
    categories = yaml.safe_load(
        (base / box["categories_file"]).resolve().read_text(encoding="utf-8")
    )["categories"]
    # the district may name classes this model lacks (a category for a newer model's class):
    # such a category gets no detector rule here, as a box with this model would need
    categories = [
        {**c, "detector_classes": [n for n in c.get("detector_classes", []) if n in class_names]}
        for c in categories
    ]
    watched = [
        c["code"]
        for c in categories
        if c.get("edge_rule") and set(c.get("detector_classes", [])) & set(class_names)
    ]
    cameras = []
    for plan, script in plans:
        tpl = templates[plan.background]
        stream = dict(tpl["stream"])
        stream["main"] = {"kind": "synthetic", "script": script, "seed": plan.seed, "speed": 0}
        stream["resolution_wh"] = stream.get("detect_resolution_wh", [640, 360])
        stream["fps"] = stream.get("detect_fps", 5.0)  # render only the frames detection takes
        cam_zones = []
        for zone in tpl["zones"]:
            z = dict(zone)
            if zones == "all":
                z["categories"] = watched
            rules = dict(z.get("rules") or {})
            if thresholds and "min_confidence" not in rules:  # the zone's own win
                rules["class_confidence"] = {**thresholds, **rules.get("class_confidence", {})}
            z["rules"] = rules
            cam_zones.append(z)
        cameras.append(
            {**tpl, "camera_id": plan.camera_id, "box_id": "edge-fa", "stream": stream}
            | {"zones": cam_zones}
        )
    data = {
        "box_id": "edge-fa",
        "mqtt": {"url": "mqtt://127.0.0.1:1883", "topic_prefix": "false-alarms"},
        "categories": categories,
        "detector": {
            **box.get("detector", {}),
            "backend": backend,
            "model_path": str(model),
            "class_names": list(class_names),
        },
        "outbox_path": str(Path(tempfile.gettempdir()) / "false-alarms-unused.sqlite"),
        "pipeline": box.get("pipeline") or {},
        "cameras": cameras,
    }
    return parse_edge_config(data, "false_alarms_day", base, env={})


class SimulatedCamera:
    """A synthetic camera on a simulated clock: frame ``i`` is captured at
    ``EPOCH_MS + round(i * 1000 / fps)``; ends after ``frames`` frames."""

    def __init__(self, camera: Camera, frames: int, static_negatives: int) -> None:
        main = camera.stream.main
        assert isinstance(main, SyntheticStream) and main.script is not None
        self.name = f"simulated:{camera.camera_id}"
        self.fps = camera.stream.fps
        self.frames = frames
        self.scene = SyntheticScene(
            SceneScript.from_dict(main.script),
            camera.stream.resolution_wh,
            self.fps,
            main.seed,
            static_negatives=static_negatives,
        )

    def open(self) -> None:
        return None

    def read(self) -> Frame:
        if self.scene.frame_index >= self.frames:
            raise SourceEnded(f"{self.name}: {self.frames} frames played")
        shot = self.scene.next_frame()
        truth = tuple((b.class_name, b.xyxy) for b in shot.truth)
        captured_ms = EPOCH_MS + round(shot.frame_index * 1000 / self.fps)
        return Frame(shot.image, captured_ms, shot.frame_index, truth)

    def close(self) -> None:
        return None


@dataclass
class Alert:
    camera_id: str
    category: str
    start_s: float
    confidence: float
    classes: tuple[str, ...]
    end_s: float | None = None


@dataclass
class Tally:
    """The alert sink: every alert that starts, with the scene second it ends."""

    alerts: dict[str, Alert] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_step(self, ctx: StepContext) -> None:
        step = ctx.step
        with self.lock:
            if step.type == "new":
                self.alerts[step.event_id] = Alert(
                    ctx.camera_id,
                    ctx.category,
                    round((step.started_ms - EPOCH_MS) / 1000, 1),
                    round(step.observation.confidence, 3),
                    tuple(sorted({name for _, name, _ in ctx.boxes_norm})),
                )
            elif step.type == "end" and step.event_id in self.alerts:
                self.alerts[step.event_id].end_s = round((step.t_ms - EPOCH_MS) / 1000, 1)


class Watched:
    """The detector, passed through, noting per class how many detector calls returned a box
    at or above the class's alert threshold anywhere in the frame, and the best score: how
    close the distractors came, whether or not a rule turned them into an alert."""

    def __init__(self, inner: Detector, thresholds: dict[str, float]) -> None:
        self.inner = inner
        self.class_names = inner.class_names
        self.version = inner.version
        # an edge whose detectors carry the model's thresholds reads them through here
        self.alert_confidence: Mapping[str, float] = dict(
            getattr(inner, "alert_confidence", None) or {}
        )
        self.thresholds = thresholds
        self.frames_over = dict.fromkeys(inner.class_names, 0)
        self.best = dict.fromkeys(inner.class_names, 0.0)
        self.lock = threading.Lock()

    def detect(self, image: npt.NDArray[np.uint8], frame: Frame | None = None) -> Detections:
        dets = self.inner.detect(image, frame)
        over: set[str] = set()
        with self.lock:
            for cid, conf in zip(dets.class_id.tolist(), dets.confidence.tolist(), strict=True):
                name = self.class_names[int(cid)]
                self.best[name] = max(self.best[name], float(conf))
                if conf >= self.thresholds[name]:
                    over.add(name)
            for name in over:
                self.frames_over[name] += 1
        return dets


def upper_95(n: int) -> float:
    """Exact one-sided 95% upper limit of a Poisson mean after observing ``n`` events."""
    lo, hi = 0.0, 10.0 + 3.0 * n
    for _ in range(60):
        mid = (lo + hi) / 2
        term = cdf = math.exp(-mid)
        for k in range(1, n + 1):
            term *= mid / k
            cdf += term
        lo, hi = (mid, hi) if cdf > 0.05 else (lo, mid)
    return hi


class ErrorCount(logging.Handler):
    """Counts frames the pipeline failed on (it logs them and carries on)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = self.format(record)


def play(
    camera: Camera,
    config: EdgeConfig,
    detector: Detector,
    frames: int,
    tally: Tally,
    static_negatives: int,
) -> dict[str, int]:
    """Run one camera's pipeline lock-step over ``frames`` simulated frames."""
    source = SimulatedCamera(camera, frames, static_negatives)
    pipe = CameraPipeline(
        camera,
        config.categories,
        detector,
        config.settings.pipeline,
        source,
        FrameTap(),
        tally,
        box_id=config.settings.box_id,
        lockstep=True,
    )
    pipe.start()
    try:
        while pipe.frames_seen < frames:
            time.sleep(0.02)
            if pipe.capture.state == "offline" and pipe.capture.frames < frames:
                raise RuntimeError(f"{camera.camera_id}: capture stopped: {pipe.capture.reason}")
    finally:
        pipe.stop()  # ends alerts still open (counted only when they started)
    return {"frames": pipe.frames_seen, "detector_calls": pipe.detections_run}


# --- the run ---------------------------------------------------------------------------------


def run(
    *,
    minutes: float,
    cameras: int,
    seed: int = 1,
    backend: str = "onnx",
    model: Path = DEFAULT_MODEL,
    class_names: tuple[str, ...] | None = None,
    with_targets: bool = False,
    target_every_min: float = 5.0,
    zones: str = "all",
    static_negatives: int = 3,
    edge_config: Path = EDGE_CONFIG,
    backgrounds: tuple[str, ...] = BACKGROUNDS,
) -> dict[str, Any]:
    """Play ``cameras`` cameras for ``minutes`` simulated minutes in all; return the figures."""
    if cameras < 1 or minutes <= 0:
        raise ValueError(f"need cameras >= 1 and minutes > 0, got {cameras}, {minutes}")
    box, templates = district_templates(edge_config)
    if backend == "onnx" and not model.is_file():
        raise SystemExit(f"model file {model} does not exist")
    digest = sha256_12(model) if backend == "onnx" else None  # before loading it
    names = class_names
    names_from = "--class-names"
    if names is None and backend == "onnx":
        names = onnx_class_names(model)
        names_from = "onnx metadata"
    if names is None:
        names = tuple(box.get("detector", {}).get("class_names") or ())
        names_from = str(edge_config.name)

    span_s = minutes * 60.0 / cameras
    plans: list[tuple[CameraPlan, dict[str, Any]]] = []
    for i in range(cameras):
        bg = backgrounds[i % len(backgrounds)]
        cam_seed = seed + i
        fps = float(templates[bg]["stream"].get("detect_fps", 5.0))
        script = distractor_script(bg, span_s, cam_seed)
        targets: list[tuple[str, float, float]] = []
        if with_targets:
            targets = add_targets(script, target_every_min * 60.0, TARGETS_BY_BACKGROUND[bg])
        plan = CameraPlan(
            f"fa-{i + 1:02d}-{bg}", bg, cam_seed, span_s, round(span_s * fps), tuple(targets)
        )
        plans.append((plan, script))

    def configure(thresholds: dict[str, float] | None) -> EdgeConfig:
        return build_config(
            box,
            templates,
            plans,
            backend=backend,
            model=model,
            class_names=names,
            thresholds=thresholds,
            zones=zones,
            base=edge_config.parent,
        )

    config = configure(None)
    inner = build_detector(config.settings.detector)
    # The model's per-class alert thresholds (`alert_confidence` in the classes.yaml beside
    # it): an edge whose detectors carry them applies them itself; otherwise they go into
    # the zones' class_confidence here. Absent: the zones' thresholds alone.
    carried: Mapping[str, float] | None = getattr(inner, "alert_confidence", None)
    classes_yaml = model.parent / "classes.yaml"
    if carried is not None:
        thresholds = dict(carried) or None
        applied_by = "edge detector" if thresholds else None
    else:
        thresholds = alert_confidence(classes_yaml, names) if backend == "onnx" else None
        applied_by = "bench, as zone class_confidence" if thresholds else None
        if thresholds:
            config = configure(thresholds)
    rules = config.cameras[0].zones[0].rules
    floor_of = getattr(edge_zones, "alert_floor", None)  # the edge's own rule, where it has one
    effective: dict[str, float] = {
        n: float(floor_of(rules, n, carried or {}))
        if floor_of is not None
        else rules.class_confidence.get(n, rules.min_confidence)
        for n in names
    }
    detector = Watched(inner, effective)
    errors = ErrorCount()
    pipeline_log = logging.getLogger("edge.pipeline")
    pipeline_log.addHandler(errors)
    tally = Tally()
    cpu0, wall0, load0 = time.process_time(), time.monotonic(), os.getloadavg()
    frames = calls = 0
    try:
        for (plan, _), cam in zip(plans, config.cameras, strict=True):
            got = play(cam, config, detector, plan.frames, tally, static_negatives)
            frames += got["frames"]
            calls += got["detector_calls"]
            print(
                f"{plan.camera_id}: seed {plan.seed}, {plan.span_s / 60:.1f} min, "
                f"{got['frames']} frames, {got['detector_calls']} detector calls, alerts "
                f"{sum(a.camera_id == plan.camera_id for a in tally.alerts.values())}",
                flush=True,
            )
    finally:
        pipeline_log.removeHandler(errors)
    cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
    if errors.count:
        raise RuntimeError(f"{errors.count} frames failed in the pipeline; first: {errors.first}")
    if digest is not None and sha256_12(model) != digest:
        raise RuntimeError(
            f"{model} changed during the run (was {digest}); copy the model elsewhere and rerun"
        )

    cats = config.categories
    per_cat: dict[str, dict[str, Any]] = {}
    hours_by_cam = {plan.camera_id: plan.span_s / 3600 for plan, _ in plans}
    for cam in config.cameras:
        for zone in cam.zones:
            for code in zone.categories:
                cat: Category = cats[code]
                if cat.edge_rule is None or not set(cat.detector_classes) & set(names):
                    continue
                entry = per_cat.setdefault(
                    code,
                    {
                        "name": cat.name_en,
                        "rule": cat.edge_rule,
                        "classes": cat.detector_classes,
                        "alerts": 0,
                        "open_s": 0.0,
                        "camera_hours": 0.0,
                        "cameras": set(),
                    },
                )
                if cam.camera_id not in entry["cameras"]:
                    entry["cameras"].add(cam.camera_id)
                    entry["camera_hours"] += hours_by_cam[cam.camera_id]
    targets_by = {plan.camera_id: plan.targets for plan, _ in plans}
    span_by = {plan.camera_id: plan.span_s for plan, _ in plans}

    def matches(alert: Alert, kind: str) -> bool:
        return TARGET_CLASS[kind] in cats[alert.category].detector_classes

    false_alarms: list[Alert] = []
    for alert in tally.alerts.values():
        if any(
            matches(alert, kind) and s <= alert.start_s <= e
            for kind, s, e in targets_by[alert.camera_id]
        ):
            continue
        false_alarms.append(alert)
        per_cat[alert.category]["alerts"] += 1
        end = alert.end_s if alert.end_s is not None else span_by[alert.camera_id]
        per_cat[alert.category]["open_s"] += end - alert.start_s
    # per target episode: an alert of its class started within it, one was already open when
    # it began (the zone had that category's alert: the target shows in its updates), or none
    outcome: dict[str, dict[str, int]] = {}
    for plan, _ in plans:
        mine = [a for a in tally.alerts.values() if a.camera_id == plan.camera_id]
        for kind, s, e in plan.targets:
            row = outcome.setdefault(kind, {"episodes": 0, "alerted": 0, "already_open": 0})
            row["episodes"] += 1
            if any(matches(a, kind) and s <= a.start_s <= e for a in mine):
                row["alerted"] += 1
            elif any(
                matches(a, kind) and a.start_s < s and (a.end_s is None or a.end_s > s)
                for a in mine
            ):
                row["already_open"] += 1
    total_hours = sum(hours_by_cam.values())

    def per_day(n: float, hours: float) -> float:
        return round(n * 24 / hours, 2) if hours > 0 else 0.0

    result: dict[str, Any] = {
        "bench": "false_alarms_day",
        "backend": backend,
        "model": _show(model) if backend == "onnx" else None,
        "model_sha256_12": digest,
        "class_names": list(names),
        "class_names_from": names_from,
        "model_alert_confidence": thresholds,
        "model_alert_confidence_from": _show(classes_yaml) if thresholds else None,
        "model_alert_confidence_applied_by": applied_by,
        "alert_threshold": effective,
        "detector_floor": config.settings.detector.confidence,
        "zones": zones,
        "cameras": cameras,
        "backgrounds": [plan.background for plan, _ in plans],
        "seeds": [plan.seed for plan, _ in plans],
        "simulated_minutes": round(minutes, 2),
        "detect_fps": sorted({c.stream.detect_fps for c in config.cameras}),
        "detect_resolution_wh": list(config.cameras[0].stream.detect_resolution_wh),
        "frames": frames,
        "detector_calls": calls,
        "categories": {
            code: {
                "name": e["name"],
                "classes": e["classes"],
                "alerts": e["alerts"],
                "open_minutes": round(e["open_s"] / 60, 1),
                "camera_hours": round(e["camera_hours"], 3),
                "false_alarms_per_camera_day": per_day(e["alerts"], e["camera_hours"]),
                "upper_95_per_camera_day": per_day(upper_95(e["alerts"]), e["camera_hours"]),
            }
            for code, e in sorted(per_cat.items())
        },
        "total": {
            "alerts": len(false_alarms),
            "camera_hours": round(total_hours, 3),
            "false_alarms_per_camera_day": per_day(len(false_alarms), total_hours),
            "upper_95_per_camera_day": per_day(upper_95(len(false_alarms)), total_hours),
        },
        "detector_frames_over_alert_threshold": detector.frames_over,
        "detector_best_confidence": {k: round(v, 3) for k, v in detector.best.items()},
        "false_alarms": [
            {
                "camera": a.camera_id,
                "category": a.category,
                "start_s": a.start_s,
                "end_s": a.end_s,
                "confidence": a.confidence,
                "classes": list(a.classes),
            }
            for a in false_alarms[:50]
        ],
        "cpu_s": round(cpu_s, 1),
        "wall_s": round(wall_s, 1),
        "load_avg_start_end": [round(load0[0], 2), round(os.getloadavg()[0], 2)],
        "with_targets": with_targets,
    }
    if with_targets:
        result["targets"] = {
            kind: {**row, "missed": row["episodes"] - row["alerted"] - row["already_open"]}
            for kind, row in sorted(outcome.items())
        }
    return result


def _show(path: Path | None) -> str | None:
    if path is None:
        return None
    path = path.resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=90.0, help="simulated minutes in all")
    parser.add_argument("--cameras", type=int, default=6, help="split over these cameras")
    parser.add_argument("--seed", type=int, default=1, help="camera i plays seed + i")
    parser.add_argument("--backend", choices=("onnx", "truth"), default="onnx")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--class-names", default=None, help="comma-separated; default: the ONNX metadata"
    )
    parser.add_argument("--with-targets", action="store_true")
    parser.add_argument("--target-every-min", type=float, default=5.0)
    parser.add_argument(
        "--zones",
        choices=("all", "district"),
        default="all",
        help="all: every camera's zone watches every detector category; "
        "district: the template camera's own categories",
    )
    parser.add_argument("--static-negatives", type=int, default=3)
    parser.add_argument("--edge-config", type=Path, default=EDGE_CONFIG)
    args = parser.parse_args()
    names = (
        tuple(n.strip() for n in args.class_names.split(",") if n.strip())
        if args.class_names
        else None
    )
    result = run(
        minutes=args.minutes,
        cameras=args.cameras,
        seed=args.seed,
        backend=args.backend,
        model=args.model,
        class_names=names,
        with_targets=args.with_targets,
        target_every_min=args.target_every_min,
        zones=args.zones,
        static_negatives=args.static_negatives,
        edge_config=args.edge_config.resolve(),
    )
    for code, e in result["categories"].items():
        print(
            f"{code} {e['name']}: {e['alerts']} alerts in {e['camera_hours']:.2f} camera-hours"
            f" = {e['false_alarms_per_camera_day']} false alarms per camera-day",
            flush=True,
        )
    total = result["total"]
    print(
        f"total: {total['alerts']} alerts in {total['camera_hours']:.2f} camera-hours = "
        f"{total['false_alarms_per_camera_day']} per camera-day "
        f"({result['model']}@{result['model_sha256_12']}; cpu {result['cpu_s']} s, "
        f"wall {result['wall_s']} s)",
        flush=True,
    )
    if "targets" in result:
        print(f"targets: {result['targets']}", flush=True)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""One camera's pipeline: capture thread → drop-oldest queue → inference thread.

The inference thread owns the detector call, the tracker, the zones, the rules and the
alert lifecycles; it hands lifecycle steps to an ``AlertSink`` and answers zone checks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from contracts.cameras import Camera
from contracts.categories import Category
from contracts.messages import CameraStats
from edge.capture import CameraState, CaptureWorker
from edge.detect.base import Detector
from edge.detections import Detections
from edge.frame_queue import DropOldestQueue
from edge.frame_tap import FrameTap
from edge.gate import MotionGate
from edge.haze import HazeBaseline, haze_cells
from edge.lifecycle import AlertLifecycle, Step
from edge.rules import NOTHING, Observation, cylinders, dust, hold_s, waste
from edge.settings import PipelineSettings
from edge.sources.base import Frame, FrameSource
from edge.tracker import Tracker
from edge.zone_verify import ZoneCheck
from edge.zones import (
    CameraZones,
    ZoneGeometry,
    ZoneRule,
    alert_floor,
    inside,
    reference_point,
)

log = logging.getLogger(__name__)

BoxNorm = tuple[tuple[float, float, float, float], str, float]


@dataclass(frozen=True)
class StepContext:
    camera_id: str
    zone_id: str
    category: str
    rule: str
    step: Step
    image: npt.NDArray[np.uint8]
    boxes_norm: tuple[BoxNorm, ...]


class AlertSink(Protocol):
    def on_step(self, ctx: StepContext) -> None: ...


class _Stop:
    pass


_WORSE = {"online": 0, "starting": 1, "reconnecting": 2, "offline": 3}


class CameraPipeline:
    def __init__(
        self,
        camera: Camera,
        categories: dict[str, Category],
        detector: Detector,
        settings: PipelineSettings,
        source: FrameSource,
        tap: FrameTap,
        sink: AlertSink,
        *,
        box_id: str,
        pm10: Callable[[str], float | None] = lambda _cam: None,
        on_state: Callable[[str, CameraState, str | None], None] | None = None,
        lockstep: bool = False,
        sub_source: FrameSource | None = None,
    ) -> None:
        self.camera = camera
        self.detector = detector
        self.settings = settings
        self.sink = sink
        self.box_id = box_id
        self._pm10 = pm10
        self.detect_wh = camera.stream.detect_resolution_wh
        self.queue: DropOldestQueue[Frame | _Stop] = DropOldestQueue(settings.queue_size)
        # detection reads the sub stream when there is one; the main stream then only feeds
        # the tap (video), at its own resolution
        self.capture = CaptureWorker(
            camera.camera_id,
            sub_source or source,
            self.queue,  # type: ignore[arg-type]
            None if sub_source is not None else tap,
            offline_after_s=settings.offline_after_s,
            reconnect_max_s=settings.reconnect_max_s,
            lockstep=lockstep,
            on_state=on_state,
        )
        self.view_capture: CaptureWorker | None = None
        if sub_source is not None:
            self.view_capture = CaptureWorker(
                camera.camera_id,
                source,
                None,
                tap,
                offline_after_s=settings.offline_after_s,
                reconnect_max_s=settings.reconnect_max_s,
                on_state=on_state,
            )
        self.zones = CameraZones(
            camera,
            categories,
            detector.class_names,
            self.detect_wh,
            getattr(detector, "alert_confidence", None),
        )
        self.gate = MotionGate(
            settings.motion_gating, settings.motion_threshold_norm, settings.full_scan_s
        )
        self.tracker = Tracker(settings.track_max_age_s)
        self.lifecycles: dict[tuple[str, str], AlertLifecycle] = {}
        self.haze: dict[str, HazeBaseline] = {}
        for geo in self.zones.zones:
            for rule in geo.rules:
                key = f"{box_id}.{camera.camera_id}.{geo.zone.zone_id}.{rule.category.code}"
                self.lifecycles[(geo.zone.zone_id, rule.category.code)] = AlertLifecycle(
                    key,
                    hold_s(rule.category.edge_rule or "", geo.zone.rules),
                    settings.clear_s,
                    settings.update_interval_s,
                )
                if rule.category.edge_rule == "dust":
                    self.haze[geo.zone.zone_id] = HazeBaseline()
        self._checks: list[tuple[str, str, Future[ZoneCheck]]] = []
        self._checks_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name=f"infer-{camera.camera_id}", daemon=True
        )
        self._next_due_ms = 0
        self._last_t_ms = 0
        # stats
        self.detections_run = 0
        self.frames_seen = 0
        self.skipped = 0
        self.inference_ms = 0.0
        self._rate_marks: list[tuple[float, int, int]] = []

    @property
    def camera_id(self) -> str:
        return self.camera.camera_id

    def start(self) -> None:
        self._thread.start()
        self.capture.start()
        if self.view_capture is not None:
            self.view_capture.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop capture and inference; alerts still open are ended."""
        if self.view_capture is not None:
            self.view_capture.stop(timeout_s)
        self.capture.stop(timeout_s)
        self.queue.put(_Stop())
        self._thread.join(timeout_s)

    def check_zone(self, zone_id: str, category: str) -> Future[ZoneCheck]:
        """Look at the zone on the next frame with a forced detection (verification)."""
        fut: Future[ZoneCheck] = Future()
        with self._checks_lock:
            self._checks.append((zone_id, category, fut))
        return fut

    def stats(self) -> CameraStats:
        now = time.monotonic()
        self._rate_marks.append((now, self.capture.frames, self.detections_run))
        self._rate_marks = [m for m in self._rate_marks if now - m[0] <= 30.0]
        t0, f0, d0 = self._rate_marks[0]
        dt = now - t0
        cap_fps = (self.capture.frames - f0) / dt if dt > 0 else 0.0
        det_fps = (self.detections_run - d0) / dt if dt > 0 else 0.0
        state, reason = self.capture.state, self.capture.reason
        view = self.view_capture
        if view is not None and _WORSE[view.state] > _WORSE[state]:
            state, reason = view.state, f"main stream: {view.reason}"
        return CameraStats(
            camera_id=self.camera_id,
            state=state,
            capture_fps=round(cap_fps, 2),
            detect_fps=round(det_fps, 2),
            skipped_frames=self.skipped + self.queue.dropped,
            inference_ms=round(self.inference_ms, 2),
            queue_depth=len(self.queue),
            last_frame_ms=self.capture.last_frame_ms,
            reason=reason,
        )

    # inference thread
    def _run(self) -> None:
        try:
            while True:
                item = self.queue.get(0.5)
                if isinstance(item, _Stop):
                    return
                if item is None:
                    self._fail_checks_if_offline()
                    continue
                try:
                    self._process(item)
                except Exception:
                    log.exception("camera %s: frame %d failed", self.camera_id, item.index)
        finally:
            for lc in self.lifecycles.values():
                step = lc.finish(max(self._last_t_ms, lc.started_ms))
                if step is not None:
                    self._emit(lc, step, None, ())

    def _fail_checks_if_offline(self) -> None:
        if self.capture.state != "offline":
            return
        with self._checks_lock:
            checks, self._checks = self._checks, []
        for _, _, fut in checks:
            fut.set_exception(RuntimeError(f"camera {self.camera_id} is offline"))

    def detect_image(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """``image`` at the detect resolution (what detection and zone checks look at)."""
        if (image.shape[1], image.shape[0]) == self.detect_wh:
            return image
        return np.asarray(cv2.resize(image, self.detect_wh, interpolation=cv2.INTER_AREA))

    def _process(self, frame: Frame) -> None:
        self.frames_seen += 1
        with self._checks_lock:
            checks, self._checks = self._checks, []
        t = frame.captured_ms
        if not checks and t < self._next_due_ms:
            self.skipped += 1
            return
        period = int(1000 / self.camera.stream.detect_fps)
        self._next_due_ms = max(self._next_due_ms + period, t - period)
        self._last_t_ms = t
        small = self.detect_image(frame.image)
        reason = self.gate.should_detect(small, t)
        if reason is None and not checks:
            self.skipped += 1
            self.tracker.expire(t)
            dets = None
        else:
            t0 = time.perf_counter()
            dets = self.detector.detect(small, frame)
            self.inference_ms = (time.perf_counter() - t0) * 1000
            self.detections_run += 1
            self.tracker.update(dets, t)
        recent_s = (
            (self.settings.full_scan_s if self.settings.motion_gating else 0.0)
            + 2.0 / self.camera.stream.detect_fps
            + 0.3
        )
        tracks = self.tracker.live(t, recent_s)
        for geo in self.zones.zones:
            haze_excess = None
            base = self.haze.get(geo.zone.zone_id)
            cells = None
            if base is not None:
                cells = haze_cells(small, geo.rect)
                haze_excess = base.excess(cells)
            dust_active = False
            for rule in geo.rules:
                lc = self.lifecycles[(geo.zone.zone_id, rule.category.code)]
                obs = self._observe(geo, rule, tracks, haze_excess)
                if rule.category.edge_rule == "dust":
                    dust_active = obs.holds or lc.active or lc.pending_since is not None
                step = lc.step(t, obs)
                if step is not None:
                    self._emit(lc, step, frame.image, self._boxes(obs))
            if base is not None and cells is not None and not dust_active:
                base.learn(cells, t)
        for zone_id, category, fut in checks:
            fut.set_result(self._check(zone_id, category, dets, frame, small))

    def _observe(
        self,
        geo: ZoneGeometry,
        rule: ZoneRule,
        tracks: list,  # type: ignore[type-arg]
        haze_excess: float | None,
    ) -> Observation:
        inside_tracks = self.zones.tracks_in(geo, rule, tracks)
        kind = rule.category.edge_rule
        if kind == "gas_cylinder_stack":
            return cylinders(inside_tracks, geo.zone.rules)
        if kind == "waste_dump":
            return waste(inside_tracks, geo.zone.rules)
        if kind == "dust":
            return dust(inside_tracks, haze_excess, self._pm10(self.camera_id), geo.zone.rules)
        return NOTHING

    def _boxes(self, obs: Observation) -> tuple[BoxNorm, ...]:
        w, h = self.detect_wh
        out = []
        for tr in obs.tracks:
            x0, y0, x1, y1 = tr.xyxy
            box = (
                min(max(x0 / w, 0.0), 1.0),
                min(max(y0 / h, 0.0), 1.0),
                min(max(x1 / w, 0.0), 1.0),
                min(max(y1 / h, 0.0), 1.0),
            )
            if box[0] < box[2] and box[1] < box[3]:
                out.append((box, self.detector.class_names[tr.class_id], tr.best_confidence))
        return tuple(out)

    def _emit(
        self,
        lc: AlertLifecycle,
        step: Step,
        image: npt.NDArray[np.uint8] | None,
        boxes: tuple[BoxNorm, ...],
    ) -> None:
        _, camera_id, zone_id, category = lc.key.rsplit(".", 3)
        rule = next(
            r.category.edge_rule
            for g in self.zones.zones
            for r in g.rules
            if g.zone.zone_id == zone_id and r.category.code == category
        )
        blank = np.zeros((1, 1, 3), np.uint8)
        self.sink.on_step(
            StepContext(
                camera_id,
                zone_id,
                category,
                rule or "",
                step,
                image if image is not None else blank,
                boxes,
            )
        )

    def _check(
        self,
        zone_id: str,
        category: str,
        dets: Detections | None,
        frame: Frame,
        small: npt.NDArray[np.uint8],
    ) -> ZoneCheck:
        """What the zone shows of the category's classes, at every confidence the detector
        reports (the verify threshold is lower than the alert's), with the alert threshold
        of each class; masks still apply. ``edge.zone_verify`` judges it."""
        geo = next((g for g in self.zones.zones if g.zone.zone_id == zone_id), None)
        if geo is None:
            raise KeyError(f"camera {self.camera_id} has no zone {zone_id!r}")
        rule = next((r for r in geo.rules if r.category.code == category), None)
        if rule is None:
            raise KeyError(f"zone {zone_id!r} has no detector rule for category {category!r}")
        if dets is None:
            dets = self.detector.detect(small, frame)
        w, h = self.detect_wh
        floor = geo.zone.rules
        names = sorted({self.detector.class_names[c] for c in rule.class_ids})
        scores = dict.fromkeys(names, 0.0)
        alert_at = {n: alert_floor(floor, n, self.zones.alert_defaults) for n in names}
        boxes: list[BoxNorm] = []
        for i in range(len(dets)):
            cid = int(dets.class_id[i])
            if cid not in rule.class_ids:
                continue
            name = self.detector.class_names[cid]
            conf = float(dets.confidence[i])
            x0, y0, x1, y1 = (float(v) for v in dets.xyxy[i])
            if self.zones.masked((x0, y0, x1, y1), cid):
                continue
            if inside(geo.polygon, reference_point((x0, y0, x1, y1), name)):
                scores[name] = max(scores[name], conf)
                box = (max(x0 / w, 0.0), max(y0 / h, 0.0), min(x1 / w, 1.0), min(y1 / h, 1.0))
                if box[0] < box[2] and box[1] < box[3]:
                    boxes.append((box, name, conf))
        haze = None
        base = self.haze.get(zone_id)
        margin = floor.dust_haze_margin
        if rule.category.edge_rule == "dust" and base is not None and margin is not None:
            excess = base.excess(haze_cells(small, geo.rect))
            if excess is not None:
                haze = (float(excess), float(margin))
        return ZoneCheck(
            image=frame.image,
            small=small,
            zone_norm=tuple((float(x), float(y)) for x, y in geo.zone.polygon_norm),
            scores=scores,
            alert_at=alert_at,
            boxes_norm=tuple(boxes),
            haze=haze,
        )

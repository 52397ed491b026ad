"""The edge agent: one pipeline per camera, the MQTT link, stats, remote config, zone checks.

``Agent.frame_tap`` is the fan-out of every captured frame (stream resolution) for the video
path. Remote config and zone checks run on one control thread, never on paho's loop thread.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import edge
from contracts.cameras import Camera
from contracts.codec import encode
from contracts.config_problems import ConfigError
from contracts.messages import (
    BoxStats,
    ConfigAck,
    RemoteConfig,
    SensorReading,
    VerifyEvidence,
    VerifyRequest,
    VerifyResponse,
)
from contracts.topics import Topic, TopicKind
from edge import health
from edge.alerts import AlertPublisher
from edge.capture import CameraState
from edge.detect.base import Detector, DetectorError, build_detector
from edge.frame_tap import FrameTap
from edge.metrics import EdgeMetrics
from edge.mqtt_link import MqttLink
from edge.onvif.alarm_ptz import PtzDispatcher, PtzOnAlarmSink
from edge.outbox import Outbox
from edge.packet_tap import PacketTap
from edge.pipeline import AlertSink, CameraPipeline, StepContext
from edge.recording.recorder import Recorder, RecordingMarkSink
from edge.recording.service import start_recording
from edge.reference_frames import ReferenceFrames
from edge.sensors import SensorBoard
from edge.settings import EdgeConfig, parse_edge_config
from edge.snapshot import annotate, encode_capped
from edge.sources import make_source
from edge.video.service import VideoService, video_from_env
from edge.zone_verify import AlarmFrame, judge

log = logging.getLogger(__name__)

RESTART_KEYS = ("box_id", "mqtt", "outbox_path", "metrics_port", "metrics_host", "recording")


def _same_camera(a: Camera | None, b: Camera) -> bool:
    """Equal as configured (JSON form: a remote config turns tuples into lists)."""
    return a is not None and a.model_dump(mode="json") == b.model_dump(mode="json")


def _now_ms() -> int:
    return int(time.time() * 1000)


class Agent:
    def __init__(
        self,
        config: EdgeConfig,
        base_dir: Path,
        *,
        lockstep: bool = False,
        detector_factory: Callable[[EdgeConfig], Detector] | None = None,
    ) -> None:
        self.config = config
        self.base_dir = base_dir
        self.lockstep = lockstep
        self.settings = config.settings
        self.box_id = self.settings.box_id
        self.config_id: str | None = None
        self.frame_tap = FrameTap()
        self.packet_tap = PacketTap()  # RTSP H.264 cameras' own packets, for pass-through
        self.ptz = PtzDispatcher(dict(os.environ))  # cameras with ptz_on_alarm
        self.video: VideoService | None = None  # set when GRIDWALL_EDGE_VIDEO is
        self.recorder: Recorder | None = None  # set when settings.recording is
        self.sensors = SensorBoard()
        self.metrics = EdgeMetrics()
        self.metrics_port: int | None = None
        self.outbox = Outbox(self.settings.outbox_path)
        self.link = MqttLink(self.settings.mqtt, self.box_id, self.outbox, handler=self._on_message)
        # the clean frame of each alarm's best snapshot, for verification to compare with
        self.alarm_frames = ReferenceFrames(
            self.settings.outbox_path.with_name("alarm-frames.sqlite")
        )
        self.alerts = AlertPublisher.for_link(
            self.link,
            self.settings.pipeline.snapshot_max_bytes,
            self.settings.pipeline.snapshot_width,
            on_alarm_frame=self._keep_alarm_frame,
        )
        self._detector_factory = detector_factory or (lambda c: build_detector(c.settings.detector))
        self.detector = self._detector_factory(config)
        self.pipelines: dict[str, CameraPipeline] = {}
        self._control: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._stats_now = threading.Event()
        self._started_s = time.monotonic()
        self._threads = [
            threading.Thread(target=self._control_loop, name="control", daemon=True),
            threading.Thread(target=self._stats_loop, name="stats", daemon=True),
        ]

    # lifecycle
    def start(self) -> None:
        closed = self.alerts.close_orphans(_now_ms())
        if closed:
            log.info("ended %d alert(s) left open by the previous run", closed)
        self.video = video_from_env(self.frame_tap, packets=self.packet_tap)
        if self.settings.recording is not None:
            self.recorder = start_recording(
                self.settings.recording, self.config.cameras, self.packet_tap, self.video
            )
        for cam in self.config.cameras:
            self._start_pipeline(cam.camera_id, self.config)
        if self.settings.metrics_port is not None:
            self.metrics_port = self.metrics.serve(
                self.settings.metrics_port, self.settings.metrics_host
            )
        for t in self._threads:
            t.start()
        health.cpu_percent()
        self.link.start()

    def stop(self) -> None:
        self._stop.set()
        self._control.put(None)
        self._stats_now.set()
        for p in self.pipelines.values():
            p.stop()
        if self.recorder is not None:
            self.recorder.stop()
        if self.video is not None:
            self.video.stop()
        self.ptz.stop()
        for t in self._threads:
            t.join(5)
        self.link.stop()
        self.metrics.stop()
        self.outbox.close()
        self.alarm_frames.close()

    def request_stop(self) -> None:
        """Ask ``run_forever`` to return (signal handlers call this)."""
        self._stop.set()

    def run_forever(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        finally:
            self.stop()

    def _start_pipeline(self, camera_id: str, config: EdgeConfig) -> None:
        cam = next(c for c in config.cameras if c.camera_id == camera_id)
        timeout_s = config.settings.pipeline.source_timeout_s
        sink: AlertSink = self.alerts
        if self.recorder is not None:
            sink = RecordingMarkSink(sink, self.recorder)  # alarm marks on the timeline
        pipe = CameraPipeline(
            cam,
            config.categories,
            self.detector,
            config.settings.pipeline,
            make_source(
                cam.stream, self.base_dir, timeout_s=timeout_s, packets=(self.packet_tap, camera_id)
            ),
            self.frame_tap,
            (
                PtzOnAlarmSink(sink, cam.ptz_on_alarm, self.ptz)
                if cam.ptz_on_alarm is not None
                else sink
            ),
            box_id=self.box_id,
            pm10=self.sensors.pm10,
            on_state=self._on_camera_state,
            lockstep=self.lockstep,
            sub_source=(
                make_source(cam.stream, self.base_dir, "sub", timeout_s)
                if cam.stream.sub is not None
                else None
            ),
        )
        self.pipelines[camera_id] = pipe
        pipe.start()

    def _on_camera_state(self, camera_id: str, state: CameraState, reason: str | None) -> None:
        self._stats_now.set()

    # incoming messages (paho loop thread: hand off, never block)
    def _on_message(self, topic: Topic, message: BaseModel | bytes) -> None:
        if isinstance(message, SensorReading):
            self.sensors.record(message)
        elif isinstance(message, RemoteConfig):
            remote = message
            self._control.put(lambda: self._ignore(self.apply_remote(remote)))
        elif isinstance(message, VerifyRequest):
            req = message
            self._control.put(lambda: self._ignore(self.verify(req)))

    @staticmethod
    def _ignore(_result: object) -> None:
        return None

    def _control_loop(self) -> None:
        while True:
            task = self._control.get()
            if task is None:
                return
            try:
                task()
            except Exception:
                log.exception("control task failed")

    # remote config
    def apply_remote(self, remote: RemoteConfig) -> ConfigAck:
        if remote.config_id == self.config_id:
            return ConfigAck(
                box_id=self.box_id, config_id=remote.config_id, status="applied", at_ms=_now_ms()
            )
        try:
            new = self._validate_remote(remote)
            detector = self.detector
            if new.settings.detector != self.settings.detector:
                detector = self._detector_factory(new)
        except (ConfigError, DetectorError, ValueError) as exc:
            reason = str(exc)[:2000]
            log.warning("remote config %s rejected: %s", remote.config_id, reason)
            ack = ConfigAck(
                box_id=self.box_id,
                config_id=remote.config_id,
                status="rejected",
                reason=reason,
                at_ms=_now_ms(),
            )
        else:
            self._switch(new, detector)
            self.config_id = remote.config_id
            log.info("remote config %s applied", remote.config_id)
            ack = ConfigAck(
                box_id=self.box_id, config_id=remote.config_id, status="applied", at_ms=_now_ms()
            )
        self.outbox.enqueue(self.link.topic(TopicKind.CONFIG_ACK), encode(ack))
        self.link.notify()
        return ack

    def _validate_remote(self, remote: RemoteConfig) -> EdgeConfig:
        current = self.settings.model_dump(mode="json")
        # a key the remote config leaves out keeps its current value (as the supervisor's
        # merge does): the zone editor sends only ``zones``
        data: dict[str, Any] = {**current, **remote.config}
        new = parse_edge_config(data, f"remote config {remote.config_id}", self.base_dir, env={})
        for key in RESTART_KEYS:
            if getattr(new.settings, key) != getattr(self.settings, key):
                raise ValueError(
                    f"remote config {remote.config_id}: {key} cannot change without a restart "
                    f"(have {current[key]!r}, got {data[key]!r})"
                )
        return new

    def _switch(self, new: EdgeConfig, detector: Detector) -> None:
        old = self.config
        new_cams = {c.camera_id: c for c in new.cameras}
        same_core = (
            detector is self.detector
            and new.settings.pipeline == old.settings.pipeline
            and new.categories == old.categories
        )
        for cam_id, pipe in list(self.pipelines.items()):
            if not same_core or not _same_camera(new_cams.get(cam_id), pipe.camera):
                pipe.stop()
                del self.pipelines[cam_id]
        self.detector = detector
        self.config = new
        self.settings = new.settings
        for cam_id in new_cams:
            if cam_id not in self.pipelines:
                self._start_pipeline(cam_id, new)
        self._stats_now.set()

    # zone verification
    def _keep_alarm_frame(self, ctx: StepContext, snapshot_id: str | None) -> None:
        """The latest frame in which the alert holds replaces the one kept for its key."""
        pipe = self.pipelines.get(ctx.camera_id)
        image = pipe.detect_image(ctx.image) if pipe is not None else ctx.image
        frame = AlarmFrame(
            ctx.camera_id,
            ctx.zone_id,
            ctx.category,
            snapshot_id or ctx.step.event_id,
            ctx.step.t_ms,
            image,
            tuple(box for box, _name, _conf in ctx.boxes_norm),
        )
        self.alarm_frames.keep(frame)

    def verify(self, req: VerifyRequest) -> VerifyResponse:
        """Look at the zone now and judge it against the alarm frame (``edge.zone_verify``);
        the frame looked at goes out as snapshot ``{request_id}.verify`` and the alarm frame
        it was compared with as ``{request_id}.alarm``."""
        pipe = self.pipelines.get(req.camera_id)
        p = self.settings.pipeline
        try:
            if pipe is None:
                raise KeyError(f"this box has no camera {req.camera_id!r}")
            check = pipe.check_zone(req.zone_id, req.category).result(p.verify_timeout_s)
            alarm = self.alarm_frames.latest(req.camera_id, req.zone_id, req.category)
            j = judge(
                check,
                alarm,
                ratio=p.verify_confidence_ratio,
                floor=self.settings.detector.confidence,
                change_min=p.verify_change_min,
            )
            jpeg = encode_capped(
                annotate(check.image, check.boxes_norm), p.snapshot_max_bytes, p.snapshot_width
            )
            snapshot_id = f"{req.request_id}.verify"
            self.outbox.enqueue(self.link.topic(TopicKind.SNAPSHOT, snapshot_id), jpeg)
            reference_id = None
            if alarm is not None and j.change is not None:
                reference_id = f"{req.request_id}.alarm"
                before = encode_capped(alarm.image, p.snapshot_max_bytes, p.snapshot_width)
                self.outbox.enqueue(self.link.topic(TopicKind.SNAPSHOT, reference_id), before)
            evidence = tuple(
                VerifyEvidence(
                    name=e.name,
                    score=round(e.score, 4),
                    verify_at=round(e.verify_at, 4),
                    alert_at=round(e.alert_at, 4),
                )
                for e in j.evidence[:16]
            )
            resp = VerifyResponse(
                request_id=req.request_id,
                box_id=self.box_id,
                camera_id=req.camera_id,
                zone_id=req.zone_id,
                category=req.category,
                result=j.verdict.result,
                confidence=max((e.score for e in evidence), default=0.0),
                snapshot_id=snapshot_id,
                checked_ms=_now_ms(),
                reason=j.verdict.reason[:2000],
                evidence=evidence,
                scene_change=j.change,
                scene_change_min=j.change_min if j.change is not None else None,
                reference_snapshot_id=reference_id,
            )
        except Exception as exc:  # any failure is answered, not swallowed
            resp = VerifyResponse(
                request_id=req.request_id,
                box_id=self.box_id,
                camera_id=req.camera_id,
                zone_id=req.zone_id,
                category=req.category,
                result="error",
                confidence=0.0,
                checked_ms=_now_ms(),
                reason=(str(exc) or type(exc).__name__)[:2000],
            )
        self.outbox.enqueue(self.link.topic(TopicKind.VERIFY_RESPONSE), encode(resp))
        self.link.notify()
        log.info(
            "verify %s camera=%s zone=%s category=%s: %s (%s)",
            req.request_id,
            req.camera_id,
            req.zone_id,
            req.category,
            resp.result,
            resp.reason,
        )
        return resp

    # stats
    def stats(self) -> BoxStats:
        return BoxStats(
            box_id=self.box_id,
            sent_ms=_now_ms(),
            uptime_s=round(time.monotonic() - self._started_s, 2),
            software_version=edge.__version__,
            model_version=self.detector.version[:128],
            config_id=self.config_id,
            cpu_percent=health.cpu_percent(),
            cpu_temp_c=health.cpu_temp_c(),
            mem_used_bytes=health.mem_used_bytes(),
            disk_free_bytes=health.disk_free_bytes(self.settings.outbox_path),
            outbox_depth=self.outbox.depth(),
            cameras=tuple(p.stats() for p in list(self.pipelines.values())[:64]),
        )

    def _stats_loop(self) -> None:
        interval = self.settings.stats_interval_s
        while not self._stop.is_set():
            self._stats_now.wait(interval)
            self._stats_now.clear()
            if self._stop.is_set():
                return
            try:
                stats = self.stats()
                self.metrics.observe(stats)
                self.metrics.observe_kept(self.link.kept)
                self.link.publish_now(TopicKind.STATS, stats)
            except Exception:
                log.exception("stats failed")

"""The box's recorder: one thread per camera writing segments, one retention thread.

Each `CameraRecorder` reads its feed, opens a segment at a keyframe, starts the next one at
the first keyframe after ``segment_s`` (or when the camera's clock jumps), and ends the one
being written when no packet came for ``gap_s``. The index is updated at every keyframe, so
what is listed is what a reader of the file finds. `Recorder` also keeps the alarm marks
(``on_step`` of the agent's alert sink) and applies `retention.plan_retention` every
``retention_interval_s``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from edge.pipeline import AlertSink, StepContext
from edge.recording.feeds import PacketFeed
from edge.recording.index import RecordingIndex
from edge.recording.retention import RetentionPlan, RetentionPolicy, plan_retention
from edge.recording.segment import RecordingError, RecPacket, SegmentWriter
from edge.recording.settings import RecordingSettings

log = logging.getLogger(__name__)
Clock = Callable[[], float]


def policy_of(s: RecordingSettings) -> RetentionPolicy:
    return RetentionPolicy(
        max_age_ms=round(s.max_age_h * 3_600_000),
        budget_bytes=round(s.disk_budget_mb * 1_000_000),
        low_water_bytes=round(s.disk_budget_mb * 1_000_000 * (1 - s.low_water_percent / 100)),
        pre_ms=round(s.alarm_pre_s * 1000),
        post_ms=round(s.alarm_post_s * 1000),
        keep_after_close_ms=round(s.keep_after_close_h * 3_600_000),
        max_protect_ms=round(s.max_protect_h * 3_600_000),
    )


class CameraRecorder:
    def __init__(
        self,
        camera_id: str,
        feed: PacketFeed,
        index: RecordingIndex,
        root: Path,
        *,
        segment_s: float,
        gap_s: float,
        clock: Clock = time.time,
    ) -> None:
        self.camera_id = camera_id
        self.segments_started = 0
        self.errors = 0
        self.codecs_opened = 0  # segments whose output opened a codec: must stay 0 (remux)
        self.last_error = ""
        self._feed = feed
        self._index = index
        self._root = root
        self._segment_ms = round(segment_s * 1000)
        self._gap_s = gap_s
        self._clock = clock
        self._writer: SegmentWriter | None = None
        self._segment_id = 0
        self._last_packet_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rec-{camera_id}", daemon=True)

    def start(self) -> CameraRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._feed.close()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        else:
            self._close_segment()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                packet = self._feed.get(0.2)
                if packet is not None:
                    self._last_packet_s = self._clock()
                    try:
                        self.handle(packet)
                    except Exception as exc:  # the thread's outermost loop: log, go on
                        log.exception("recording %s: packet not recorded", self.camera_id)
                        self._fail(f"{type(exc).__name__}: {exc}")
                        self._close_segment()
                elif self._writer and self._clock() - self._last_packet_s > self._gap_s:
                    log.info(
                        "recording %s: no packet for %g s, segment ends",
                        self.camera_id,
                        self._gap_s,
                    )
                    self._close_segment()
        finally:
            self._close_segment()

    def handle(self, packet: RecPacket) -> None:
        w = self._writer
        if w is not None:
            due = packet.keyframe and packet.captured_ms - w.start_ms >= self._segment_ms
            if due or not w.fits(packet):
                self._close_segment(packet.captured_ms)
        if self._writer is None:
            if packet.keyframe:
                self._open_segment(packet)
            return
        try:
            self._writer.write(packet)
        except Exception as exc:  # a muxer error loses this segment's tail, not the recorder
            self._fail(f"write failed: {exc}")
            self._close_segment()
            return
        if packet.keyframe:
            self._index.update_segment(
                self._segment_id, self._writer.end_ms, self._writer.size_bytes()
            )

    def end_segment(self) -> None:
        """End the segment being written (the next keyframe starts another)."""
        self._close_segment()

    def _open_segment(self, packet: RecPacket) -> None:
        rel = Path(self.camera_id) / f"{packet.captured_ms}.mp4"
        n = 1
        while (self._root / rel).exists():
            rel = Path(self.camera_id) / f"{packet.captured_ms}-{n}.mp4"
            n += 1
        try:
            self._writer = SegmentWriter(self._root / rel, packet)
        except (RecordingError, OSError) as exc:
            self._fail(str(exc))
            return
        self._segment_id = self._index.open_segment(self.camera_id, str(rel), packet.captured_ms)
        self.segments_started += 1

    def _close_segment(self, next_ms: int | None = None) -> None:
        """End the segment; ``next_ms``: when the next one starts (this one ends by then)."""
        w, self._writer = self._writer, None
        if w is None:
            return
        end_ms = w.end_ms if next_ms is None else max(w.start_ms + 1, min(w.end_ms, next_ms))
        if w.encoder_opened:
            self.codecs_opened += 1
        try:
            w.close()
        except Exception as exc:
            self._fail(f"closing {w.path.name} failed: {exc}")
        self._index.update_segment(self._segment_id, end_ms, w.size_bytes(), closed=True)

    def _fail(self, reason: str) -> None:
        self.errors += 1
        if reason != self.last_error:
            log.warning("recording %s: %s", self.camera_id, reason)
        self.last_error = reason


class Recorder:
    """Every recorded camera of the box, the index, the alarm marks and retention."""

    def __init__(
        self,
        settings: RecordingSettings,
        feeds: dict[str, PacketFeed],
        clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self.root = settings.path
        self.policy = policy_of(settings)
        self.index = RecordingIndex(self.root / "index.sqlite")
        self.last_plan: RetentionPlan | None = None
        self._clock = clock
        self._close_orphans()
        self.cameras = {
            cid: CameraRecorder(
                cid,
                feed,
                self.index,
                self.root,
                segment_s=settings.segment_s,
                gap_s=settings.gap_s,
                clock=clock,
            )
            for cid, feed in feeds.items()
        }
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._retention_loop, name="rec-retention", daemon=True
        )

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _close_orphans(self) -> None:
        """Segments and alarms a previous run left open: closed with what they hold; clip
        exports it left half-sent: removed."""
        for seg in self.index.open_segments():
            path = self.root / seg.path
            size = path.stat().st_size if path.exists() else 0
            self.index.update_segment(seg.info.segment_id, seg.info.end_ms, size, closed=True)
        for alarm in self.index.alarms():
            if alarm.mark.ended_ms is None:
                self.index.alarm_ended(alarm.event_id, self._now_ms())
        for left in (self.root / ".exports").glob("*.mp4"):  # clips a crash left behind
            left.unlink(missing_ok=True)

    def start(self) -> Recorder:
        for cam in self.cameras.values():
            cam.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        for cam in self.cameras.values():
            cam.stop()
        self.index.close()

    # alarm marks: the agent's alert sink tells every step
    def on_step(self, ctx: StepContext) -> None:
        step = ctx.step
        if ctx.camera_id not in self.cameras:
            return
        if step.type == "new":
            self.index.alarm_began(
                step.event_id, ctx.camera_id, ctx.zone_id, ctx.category, step.started_ms
            )
        elif step.type == "end":
            self.index.alarm_ended(step.event_id, step.t_ms)

    # retention
    def apply_retention(self) -> RetentionPlan:
        """One pass: nothing listed while the segments fit the budget and none is past the
        maximum age (the usual pass); else the plan over every segment, applied."""
        now = self._now_ms()
        total, oldest_end = self.index.totals()
        old = oldest_end is not None and oldest_end < now - self.policy.max_age_ms
        if total <= self.policy.budget_bytes and not old:
            self.last_plan = RetentionPlan((), (), 0)
            return self.last_plan
        marks = [a.mark for a in self.index.alarms()]
        plan = plan_retention(self.index.segment_infos(), marks, self.policy, now)
        paths = self.index.paths_of([d.segment_id for d in plan.deletions])
        gone: list[int] = []
        for d in plan.deletions:
            path = self.root / paths[d.segment_id]
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("recording: cannot delete %s: %s", path, exc)
                continue
            gone.append(d.segment_id)
        self.index.remove_segments(gone)
        if plan.over_budget_bytes:
            log.warning(
                "recording: %d bytes over the disk budget, held by alarms' clips",
                plan.over_budget_bytes,
            )
        self.index.forget_alarms_before(now - self.policy.max_protect_ms - self.policy.max_age_ms)
        self.last_plan = plan
        return plan

    def _retention_loop(self) -> None:
        while not self._stop.wait(self.settings.retention_interval_s):
            try:
                self.apply_retention()
            except Exception:
                log.exception("recording: retention failed")


class RecordingMarkSink:
    """An ``AlertSink`` that passes every step on and marks alarms in the recording index."""

    def __init__(self, inner: AlertSink, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    def on_step(self, ctx: StepContext) -> None:
        self._inner.on_step(ctx)
        self._recorder.on_step(ctx)

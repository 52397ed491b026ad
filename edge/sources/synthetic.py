"""A synthetic camera: ``edge.synth`` scenes played in real time, faster, or lock-step."""

from __future__ import annotations

import time
from collections.abc import Callable

from contracts.cameras import SyntheticStream
from edge.sources.base import Frame
from edge.synth import SceneScript, SyntheticScene


class SyntheticSource:
    """Plays a scene at ``fps``; ``speed`` scene seconds pass per wall second (0: unpaced).

    Frame times follow the scene clock from the moment ``open`` is called, so rules see the
    scripted durations whatever the speed. A paced source that falls behind (slow rendering)
    skips frames rather than drifting, so at speed 1 a frame's time is its wall-clock time.
    """

    def __init__(
        self,
        stream: SyntheticStream,
        resolution_wh: tuple[int, int],
        fps: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        script = (
            SceneScript.preset(stream.preset)
            if stream.preset is not None
            else SceneScript.from_dict(stream.script or {})
        )
        self.name = f"synthetic:{stream.preset or 'script'}"
        self._scene = SyntheticScene(script, resolution_wh, fps, stream.seed)
        self._speed = stream.speed
        self._clock = clock
        self._sleep = sleep
        self._start_s = 0.0
        self.skipped = 0

    @property
    def scene(self) -> SyntheticScene:
        return self._scene

    @property
    def start_ms(self) -> int:
        """Epoch time of scene time zero (set by ``open``)."""
        return int(self._start_s * 1000)

    def open(self) -> None:
        if self._start_s == 0.0:
            self._start_s = self._clock()

    def read(self) -> Frame:
        if self._speed > 0:
            behind_s = (self._clock() - self._start_s) * self._speed
            due = int(behind_s * self._scene.fps)
            if due > self._scene.frame_index + 1:
                # running late: skip to the present, as a live camera drops frames
                self.skipped += due - self._scene.frame_index
                self._scene.frame_index = due
            t_scene = self._scene.frame_index / self._scene.fps
            wait = self._start_s + t_scene / self._speed - self._clock()
            if wait > 0:
                self._sleep(wait)
        shot = self._scene.next_frame()
        truth = tuple((b.class_name, b.xyxy) for b in shot.truth)
        captured_ms = int((self._start_s + shot.t_s) * 1000)
        return Frame(shot.image, captured_ms, shot.frame_index, truth)

    def close(self) -> None:
        return None

"""Turn an ONVIF PTZ camera to a preset when a camera raises an alert, and home again later.

``PtzOnAlarm`` sits between a camera's pipeline and the alert publisher: every lifecycle
step goes on unchanged; a ``new`` step also asks the camera's PTZ device (``ptz_on_alarm``
in its config) for its alarm preset, and ``return_after_s`` after the last ``new`` for its
home preset. The SOAP calls run on one worker thread per box, never on the pipeline's; a
device that fails is logged and counted (``failures``), and the alert is sent regardless.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

from contracts.cameras import PtzOnAlarm
from edge.onvif.device import OnvifDevice
from edge.onvif.soap import OnvifError
from edge.pipeline import AlertSink, StepContext

log = logging.getLogger(__name__)


class PtzDispatcher:
    """One thread that moves PTZ devices when due; moves for a camera replace older ones."""

    def __init__(
        self,
        env: dict[str, str],
        device_for: Callable[[PtzOnAlarm, dict[str, str]], OnvifDevice] | None = None,
    ) -> None:
        self.moves: list[tuple[str, str]] = []  # (camera, preset) done, for stats and tests
        self.failures = 0
        self._env = env
        self._device_for = device_for or _device
        self._due: list[tuple[float, int, str, PtzOnAlarm, str]] = []
        self._home_at: dict[str, float] = {}
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="ptz", daemon=True)
        self._thread.start()

    def alarm(self, camera_id: str, ptz: PtzOnAlarm) -> None:
        now = time.monotonic()
        with self._wake:
            heapq.heappush(self._due, (now, next(self._order), camera_id, ptz, ptz.preset))
            if ptz.home_preset is not None:
                home_at = now + ptz.return_after_s
                self._home_at[camera_id] = home_at  # a later alarm pushes the return back
                heapq.heappush(
                    self._due, (home_at, next(self._order), camera_id, ptz, ptz.home_preset)
                )
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stop and (not self._due or self._due[0][0] > time.monotonic()):
                    self._wake.wait(self._due[0][0] - time.monotonic() if self._due else None)
                if self._stop:
                    return
                at, _, camera_id, ptz, preset = heapq.heappop(self._due)
                stale = preset == ptz.home_preset and self._home_at.get(camera_id, at) > at
            if not stale:
                self._move(camera_id, ptz, preset)

    def _move(self, camera_id: str, ptz: PtzOnAlarm, preset: str) -> None:
        try:
            self._device_for(ptz, self._env).goto_preset(ptz.profile, preset)
        except OnvifError as exc:
            self.failures += 1
            log.warning("camera %s: PTZ preset %s failed: %s", camera_id, preset, exc)
            return
        self.moves.append((camera_id, preset))
        log.info("camera %s: PTZ to preset %s", camera_id, preset)


class PtzOnAlarmSink:
    """An ``AlertSink`` that passes every step on and asks for the PTZ move on ``new``."""

    def __init__(self, inner: AlertSink, ptz: PtzOnAlarm, dispatcher: PtzDispatcher) -> None:
        self._inner = inner
        self._ptz = ptz
        self._dispatcher = dispatcher

    def on_step(self, ctx: StepContext) -> None:
        self._inner.on_step(ctx)
        if ctx.step.type == "new":
            self._dispatcher.alarm(ctx.camera_id, self._ptz)


def _device(ptz: PtzOnAlarm, env: dict[str, str]) -> OnvifDevice:
    user = env.get(ptz.username_env) if ptz.username_env else None
    password = env.get(ptz.password_env, "") if ptz.password_env else ""
    return OnvifDevice(ptz.device_url, user, password, timeout_s=5.0)

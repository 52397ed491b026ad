"""Latest particulate readings per camera site, with an age limit. Thread-safe, no I/O."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from contracts.messages import SensorReading


class SensorBoard:
    def __init__(self, max_age_s: float = 120.0, clock: Callable[[], float] = time.time) -> None:
        self.max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._pm10: dict[str, tuple[float, int]] = {}

    def record(self, reading: SensorReading) -> None:
        if reading.quantity != "pm10" or reading.camera_id is None:
            return
        with self._lock:
            self._pm10[reading.camera_id] = (reading.value, reading.measured_ms)

    def pm10(self, camera_id: str) -> float | None:
        """The camera site's latest PM10 in µg/m³, if it is recent enough."""
        with self._lock:
            item = self._pm10.get(camera_id)
        if item is None:
            return None
        value, at_ms = item
        if self._clock() * 1000 - at_ms > self.max_age_s * 1000:
            return None
        return value

"""An alarm storm against the wall, and an operator's clicks timed in the browser: the parts
``bench/wall_county.py`` and ``tests/wall/test_wall_storm_browser.py`` share.

The storm: a tenth of a county's cameras each raise one alarm within ``duration_s``,
published over MQTT as their boxes would (QoS 1, contract messages), paced evenly. The
clicks: the console's first alarm waiting for verification is confirmed as a case, timed
in the page from the click to the console marking it answered (the hub's reply), and to
the queue list no longer offering it (the next refresh).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from county_district import SimCamera
from paho.mqtt.enums import CallbackAPIVersion

from contracts.codec import encode
from contracts.messages import AlertEvent, DetectionBox
from contracts.topics import TopicKind, topic_for

BOX = DetectionBox(xyxy_norm=(0.3, 0.5, 0.5, 0.8), confidence=0.7, class_name="waste")


def _nodelay(_c: Any, _u: Any, sock: Any) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # paho leaves Nagle on


def storm_cameras(plan: dict[str, list[SimCamera]], share: float = 0.1) -> list[SimCamera]:
    """Every ``1/share``-th camera of the county (a tenth by default), spread over boxes."""
    every = max(1, round(1 / share))
    cams = [c for box in sorted(plan) for c in plan[box]]
    return [c for i, c in enumerate(cams) if i % every == 0 and c.categories]


def box_of(camera_id: str) -> str:
    return camera_id.rsplit("-c", 1)[0]  # bench/county_district names box-0001-c01


@dataclass
class Storm:
    """A storm being published in a thread; ``sent`` counts what went out."""

    cameras: list[SimCamera]
    duration_s: float
    mqtt_url: str
    topic_prefix: str
    confidence: float = 0.62  # below auto-filing: every alarm waits for an operator
    sent: int = 0
    started: float = 0.0
    finished: float = 0.0
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> Storm:
        self._thread = threading.Thread(target=self._run, name="storm", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout_s: float) -> None:
        assert self._thread is not None
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise RuntimeError(f"the storm did not finish within {timeout_s} s")

    def _run(self) -> None:
        parts = urlsplit(self.mqtt_url)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"storm-{time.time_ns()}")
        client.on_socket_open = _nodelay
        client.max_inflight_messages_set(1000)
        client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
        client.loop_start()
        try:
            self.started = time.monotonic()
            step = self.duration_s / max(1, len(self.cameras))
            infos = []
            for i, cam in enumerate(self.cameras):
                wait = self.started + i * step - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                infos.append(client.publish(*self._message(cam, i), qos=1))
                self.sent += 1
            for info in infos:
                info.wait_for_publish(30)
            self.finished = time.monotonic()
        finally:
            client.disconnect()
            client.loop_stop()

    def _message(self, cam: SimCamera, seq: int) -> tuple[str, bytes]:
        now = int(time.time() * 1000)
        box = box_of(cam.camera_id)
        event = AlertEvent(
            type="new",
            event_id=f"storm-{cam.camera_id}-{now}",
            seq=seq,
            box_id=box,
            camera_id=cam.camera_id,
            zone_id=cam.zone_id,
            category=cam.categories[0],
            rule="storm",
            confidence=self.confidence,
            boxes=(BOX,),
            started_at_ms=now,
            updated_at_ms=now,
            ended_at_ms=None,
            snapshot_id=None,
        )
        return topic_for(self.topic_prefix, TopicKind.EVENT, box), encode(event)


# In the console page: click "confirm" on the first alarm waiting for verification; resolve
# with the ms from the click to the console marking the item answered (data-done, set when
# the hub replied) and to the queue list no longer offering it (its next refresh).
CLICK_CONFIRM_JS = """
async () => {
  const li = document.querySelector('#queue li.item[data-status="verifying"]:not([data-done])');
  if (!li) return null;
  const id = li.dataset.alarmId;
  const gone = () => ![...document.querySelectorAll('#queue li.item')].some(
    (x) => x.dataset.alarmId === id && x.dataset.status === 'verifying' && !x.dataset.done);
  const t0 = performance.now();
  li.querySelector('button.confirm').click();
  let answered = null;
  while (performance.now() - t0 < 15000) {
    if (answered === null && li.dataset.done) answered = performance.now() - t0;
    if (answered !== null && gone()) return {alarm: id, answered_ms: answered, listed_ms: performance.now() - t0, case_no: li.dataset.done};
    await new Promise((r) => setTimeout(r, 5));
  }
  return {alarm: id, answered_ms: answered, listed_ms: null, case_no: li.dataset.done || null};
}
"""

# In the console page: type a search into the camera picker; resolve with the ms until the
# hub's answer to this search is drawn (the picker marks which search its page answers).
PICKER_SEARCH_JS = """
async (q) => {
  const form = document.querySelector('#to-wall');
  const found = form.querySelector('.found');
  const t0 = performance.now();
  form.q.value = q;
  form.q.dispatchEvent(new Event('input'));
  while (performance.now() - t0 < 15000) {
    if (found.dataset.q === q) return {q, ms: performance.now() - t0, total: Number(found.dataset.total)};
    await new Promise((r) => setTimeout(r, 5));
  }
  return {q, ms: null, total: null};
}
"""
PICKER_PAUSE_MS = 200  # the picker waits this long after typing before it asks (console.js)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values) if values else None,
    }

"""The whole hub app stops, every time, within 2 s, while alerts are flowing.

Python 3.11's ``asyncio.wait_for`` loses a cancel that lands as the awaited operation
completes, and redis-py sends a command through it whenever a socket timeout is set
(``hub/services/cancellation.py``). A hub loop that lost its cancel went on reading for ever
and the app's shutdown never ended. Here the real app (runtime, push fan-out, fleet,
enrolment, video, wall) is started and stopped 40 times on the real Redis and Mosquitto
while an edge box floods it with alerts, so its loops are between Redis commands when the
stop lands; each stop lands a different number of loop turns after a pause.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from redis.asyncio import Redis

from contracts.codec import encode
from contracts.topics import TopicKind, topic_for
from hub.app import create_app
from hub.services import cancellation
from hub.settings import HubSettings
from tests.hub.conftest import TOKENS, make_alert

CYCLES = 40
STOP_LIMIT_S = 2.0
CAMERAS = [("edge-01", "cam-01"), ("edge-01", "cam-02"), ("edge-02", "cam-05")]
CATEGORIES = ["06010", "06036"]


class Flood:
    """An edge box publishing alerts (QoS 1) from its own thread until stopped."""

    def __init__(self, mqtt_url: str, prefix: str, per_s: float) -> None:
        u = httpx.URL(mqtt_url.replace("mqtt://", "http://"))
        self.prefix, self.gap_s = prefix, 1.0 / per_s
        self.c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"flood-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.c.connect(u.host, u.port or 1883)
        self.c.loop_start()
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.gap_s):
            box, cam = CAMERAS[self.sent % len(CAMERAS)]
            now = int(time.time() * 1000)
            ev = make_alert(
                box,
                camera_id=cam,
                category=CATEGORIES[self.sent % len(CATEGORIES)],
                started_at_ms=now,
                updated_at_ms=now,
            )
            self.c.publish(topic_for(self.prefix, TopicKind.EVENT, box), encode(ev), qos=1)
            self.sent += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def flood(mqtt_url: str, topic_prefix: str) -> Iterator[Flood]:
    f = Flood(mqtt_url, topic_prefix, per_s=400)
    yield f
    f.close()


@pytest.mark.integration
@pytest.mark.slow
async def test_the_hub_app_stops_within_2_s_every_time(
    hub_settings: HubSettings,
    redis: Redis,
    flood: Flood,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=cancellation.__name__)
    stops_s: list[float] = []
    for i in range(CYCLES):
        app = create_app(hub_settings, tokens=TOKENS)
        life = app.router.lifespan_context(app)
        await life.__aenter__()
        await asyncio.sleep(0.15 + (i % 4) * 0.05)  # the loops are busy with the flood
        for _ in range(i % 10):  # and the stop lands a different number of turns later
            await asyncio.sleep(0)
        t0 = time.monotonic()
        stop = asyncio.create_task(life.__aexit__(None, None, None))
        done, _ = await asyncio.wait({stop}, timeout=STOP_LIMIT_S)
        stops_s.append(time.monotonic() - t0)
        still = sorted(
            t.get_name()
            for t in asyncio.all_tasks()
            if t is not stop and t is not asyncio.current_task() and t.cancelling()
        )
        assert stop in done, f"stop {i} did not end within {STOP_LIMIT_S} s; still running {still}"
        stop.result()
    lost = [r.getMessage() for r in caplog.records if r.name == cancellation.__name__]
    assert not lost, f"loops lost their cancel: {lost}"
    assert flood.sent > CYCLES * 40, f"only {flood.sent} alerts flooded the hub"
    print(
        f"hub app stops: max {max(stops_s) * 1000:.1f} ms, "
        f"median {sorted(stops_s)[len(stops_s) // 2] * 1000:.1f} ms over {len(stops_s)}; "
        f"{flood.sent} alerts sent"
    )

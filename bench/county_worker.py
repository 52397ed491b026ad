"""One worker process of ``bench/county.py``: runs a share of the simulated boxes on one
asyncio loop (paho's sockets registered with the loop, as paho's asyncio example does) and
puts its tally on a queue when the run is over."""

from __future__ import annotations

import asyncio
import random
import socket
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np
import paho.mqtt.client as mqtt
from county_boxes import SimBox, SimSettings, Tally, now_ms
from county_district import SimCamera
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

DRAIN_S = 60.0  # after the run: how long the boxes may take to get their last PUBACKs


def snapshot_jpeg(seed: int) -> bytes:
    """A 640×360 JPEG of the size a box sends (tens of KiB): noise over a gradient."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, 640, dtype=np.float32)
    img = np.repeat(np.repeat(x[None, :, None], 360, axis=0), 3, axis=2)
    img = (img * 0.6 + rng.integers(0, 100, (360, 640, 3))).clip(0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok
    return bytes(buf)


def attach(client: mqtt.Client, loop: asyncio.AbstractEventLoop) -> None:
    """Drive a paho client from the asyncio loop: read when its socket is readable, write
    when paho has something to send."""

    def opened(c: mqtt.Client, _u: Any, sock: Any) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        loop.add_reader(sock, c.loop_read)

    def closed(_c: mqtt.Client, _u: Any, sock: Any) -> None:
        loop.remove_reader(sock)
        loop.remove_writer(sock)

    client.on_socket_open = opened
    client.on_socket_close = closed

    def want_write(c: mqtt.Client, _u: Any, sock: Any) -> None:
        loop.add_writer(sock, c.loop_write)

    def written(_c: mqtt.Client, _u: Any, sock: Any) -> None:
        loop.remove_writer(sock)

    client.on_socket_register_write = want_write
    client.on_socket_unregister_write = written


class Worker:
    def __init__(
        self,
        plan: dict[str, list[SimCamera]],
        cfg: SimSettings,
        index: int,
        signals: Signals | None = None,
    ) -> None:
        self.cfg, self.index, self.signals = cfg, index, signals
        self.tally = Tally()
        self.rng = random.Random(cfg.seed * 1000 + index)
        snapshot = snapshot_jpeg(cfg.seed + index)
        self.boxes = [
            SimBox(b, cams, cfg, self.tally, snapshot, random.Random(hash((cfg.seed, b))))
            for b, cams in plan.items()
        ]
        self.tasks: set[asyncio.Task[None]] = set()
        for box in self.boxes:
            box.outage = signals.outage if signals else None

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        for box in self.boxes:
            attach(box.client, loop)
        t0 = time.monotonic()
        end = t0 + self.cfg.duration_s
        misc = asyncio.create_task(self._misc())
        if self.signals is not None:
            with self.signals.started.get_lock():
                self.signals.started.value += 1
            self.spawn(self._watch_outage(self.signals))
        if self.cfg.storm_at_s is not None:
            self._storm(t0 + self.cfg.storm_at_s)
        boxes = [self._box(b, t0 + self.rng.uniform(0, self.cfg.ramp_s), end) for b in self.boxes]
        await asyncio.gather(*boxes)
        for t in list(self.tasks):  # alarms still holding at the end are left open
            t.cancel()
        for box in self.boxes:  # boxes that were down come back and drain their outboxes
            if not box.online:
                self._reconnect(box, time.monotonic())
        for _ in range(int(DRAIN_S / 0.2)):  # until every box is back and its outbox drained
            for b in self.boxes:
                b.send_held()
            if not any(b.pending or b.outbox or b.held or not b.online for b in self.boxes):
                break
            await asyncio.sleep(0.2)
        out = asdict(self.tally)
        out["unacked_events"] = sum(
            sum(1 for e in b.pending.values() if e)
            + sum(1 for x in b.outbox if x[2])
            + sum(1 for x in b.held if x[2])
            for b in self.boxes
        )
        out["connected_at_end"] = self.tally.connected
        for box in self.boxes:
            box.client.disconnect()
        await asyncio.sleep(0.5)
        misc.cancel()
        return out

    async def _misc(self) -> None:
        n = 0
        while True:
            for box in self.boxes:
                box.client.loop_misc()  # keepalive pings, timeouts
            n += 1
            if n % 30 == 0:
                t = self.tally
                print(
                    f"worker {self.index}: {t.connected}/{len(self.boxes)} boxes connected, "
                    f"{t.events_acked} events acked, {t.alarms_started} alarms",
                    file=sys.stderr,
                    flush=True,
                )
            await asyncio.sleep(1.0)

    def _reconnect(self, box: SimBox, now: float) -> None:
        """One reconnect attempt; a refused one is retried with the edge's backoff."""
        try:
            box.client.reconnect()
            box.connecting_until = now + 10.0  # until its CONNACK (or a drop) is seen
        except OSError:
            if self.signals is not None and self.signals.broker_back.is_set():
                self.tally.connect_errors_after_up += 1
            box.connecting_until = now + box.retry_s
            box.retry_s = min(2 * box.retry_s, 5.0)

    async def _watch_outage(self, signals: Signals) -> None:
        """When the broker is back: the moment every dropped box is back and every message
        the outage held up (in flight or in the outbox) is acknowledged."""
        while not signals.broker_back.is_set():  # noqa: ASYNC110 - a process-shared Event
            await asyncio.sleep(0.05)
        while True:
            dropped = [b for b in self.boxes if b.outage_down or b.outage_back_at_ms]
            if all(b.outage_back_at_ms and not b.replay and not b.held for b in dropped):
                self.tally.outage_drained_at_ms = now_ms()
                return
            await asyncio.sleep(0.05)

    def _storm(self, at: float) -> None:
        cams = [(box, cam) for box in self.boxes for cam in box.cameras]
        chosen = self.rng.sample(cams, round(len(cams) * self.cfg.storm_share))
        for box, cam in chosen:
            self.spawn(
                self._storm_alarm(box, cam, at + self.rng.uniform(0, self.cfg.storm_window_s))
            )

    async def _storm_alarm(self, box: SimBox, cam: SimCamera, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        self.tally.storm_alarms += 1
        await box.alarm(cam, self.cfg.storm_hold_s, storm=True)

    async def _box(self, box: SimBox, start: float, end: float) -> None:
        cfg = self.cfg
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        try:
            if cfg.mqtt5:  # a persistent session, as MQTT 3.1.1's clean_session=False
                props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = 86_400
                box.client.connect(
                    cfg.host, cfg.port, keepalive=60, clean_start=False, properties=props
                )
            else:
                box.client.connect(cfg.host, cfg.port, keepalive=60)
            box.connecting_until = time.monotonic() + 10.0
        except OSError:
            self.tally.refused += 1
            return
        p_alarm = cfg.alarms_per_camera_day / 86_400.0  # per camera per second
        p_flap = cfg.flaps_per_box_hour / 3_600.0
        next_stats = time.monotonic() + box.rng.uniform(0, cfg.stats_s)
        back_at: float | None = None
        while (now := time.monotonic()) < end:
            box.send_held()  # MQTT 5: what nobody received is tried again each second
            if box.online and now >= next_stats:
                box.stats()
                next_stats = now + cfg.stats_s
            for cam in box.cameras:
                if box.rng.random() < p_alarm:
                    hold = min(
                        max(5.0, box.rng.expovariate(1 / cfg.alarm_hold_s)), 10 * cfg.alarm_hold_s
                    )
                    self.spawn(box.alarm(cam, hold))
            if back_at is None and box.online and box.rng.random() < p_flap:
                sock = box.client.socket()
                if isinstance(sock, socket.socket):
                    sock.shutdown(socket.SHUT_RDWR)  # no goodbye: the broker sends the will
                self.tally.flaps += 1
                back_at = now + cfg.flap_down_s
            elif back_at is not None and now >= back_at:
                back_at = None
                self._reconnect(box, now)
            elif back_at is None and not box.online and now >= box.connecting_until:
                self._reconnect(box, now)  # dropped by the broker (an outage): back in
            await asyncio.sleep(1.0)  # a second a turn: p_alarm and p_flap are per second


@dataclass(frozen=True)
class Signals:
    """Shared with the bench during a broker outage: ``outage`` set just before the broker
    stops, ``broker_back`` once it listens again; each worker counts itself in ``started``."""

    outage: Any
    broker_back: Any
    started: Any


def worker_main(
    plan: dict[str, list[SimCamera]],
    cfg: SimSettings,
    index: int,
    out: Any,
    signals: Signals | None = None,
) -> None:
    """Process entry: run this worker's boxes, put its tally on ``out``."""
    out.put(asyncio.run(Worker(plan, cfg, index, signals).run()))

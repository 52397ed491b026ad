"""A closed camera case's clip, fetched from the real box video server into the evidence
store: real PostgreSQL and Redis, the box's real recorder, index, recording routes and clip
export (``tests/recording/hour.py`` records twenty minutes of real H.264 in a moment). The
box is offline at first (a port nothing listens on), the job waits and is tried again, then
the clip lands with its SHA-256 and a ``media`` row, the signed bundle carries it and
verifies, and one altered byte of the clip fails verification. A box that never answers
gives up, with its reason, once its protection would have ended."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import pytest
import redis as redis_sync
from redis.asyncio import Redis
from sqlalchemy import select

from contracts.codec import encode
from edge.frame_tap import FrameTap
from edge.recording.http import RecordingRoutes
from edge.recording.recorder import Recorder
from edge.recording.settings import RecordingSettings
from edge.video.service import VideoService
from edge.video.settings import EdgeVideoSettings
from hub.app import create_app
from hub.cli import main as hub_main
from hub.clipfetch.fetcher import ClipFetcher
from hub.clipfetch.jobs import ClipEnqueuer, ClipJobs, summary
from hub.clipfetch.plan import ClipJob
from hub.domain.clock import FakeClock
from hub.records.commands import copy_pending
from hub.records.copier import Copier
from hub.records.database import migrate, open_engine
from hub.records.evidence import export
from hub.records.media import MediaKeeper
from hub.records.objects import DirectoryStore
from hub.records.schema import media
from hub.records.verify import verify
from hub.runtime import HubRuntime
from hub.services.metrics import METRICS
from hub.settings import HubSettings
from hub.store.keys import text
from tests.hub.conftest import MONDAY_9, TOKENS, make_alert
from tests.recording.hour import IdleFeed, encoded_loop, record_span
from tests.records.test_evidence import flip, rt, settings, sync_r

__all__ = ["rt", "settings", "sync_r"]
pytestmark = pytest.mark.integration
CAM = "cam-01"
TOKEN = "box-token-clipfetch-0123456"
MIN = 60_000
HOUR_MS = 3_600_000


@dataclass
class Box:
    url: str
    recorder: Recorder


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    """cam-01 recorded from 10 min before MONDAY_9 for 20 min, an alarm of z1/06010 from
    MONDAY_9 for a minute; the box's video server serving its recordings."""
    rec = RecordingSettings(path=tmp_path / "rec", segment_s=60, retention_interval_s=3600)
    recorder = Recorder(rec, {CAM: IdleFeed()})
    record_span(recorder, CAM, encoded_loop(), MONDAY_9 - 10 * MIN, 20)
    video = VideoService(EdgeVideoSettings(port=0), FrameTap(), TOKEN).start()
    video.server.recordings = RecordingRoutes(recorder)
    try:
        yield Box(f"http://127.0.0.1:{video.server.port}", recorder)
    finally:
        video.stop()
        recorder.stop()


async def closed_camera_case(rt: HubRuntime, r: Redis, box: Box) -> str:
    """A case from a cam-01 alert at MONDAY_9 (the box saw the same alarm), walked to close."""
    clock = rt.clock
    assert isinstance(clock, FakeClock)
    cam = rt.district.cameras[CAM]
    zone = cam.zones[0]
    category = zone.categories[0]
    box.recorder.index.alarm_began("ev-1", CAM, zone.zone_id, category, MONDAY_9)
    box.recorder.index.alarm_ended("ev-1", MONDAY_9 + MIN)
    alert = make_alert(
        cam.box_id,
        camera_id=CAM,
        zone_id=zone.zone_id,
        category=category,
        confidence=0.99,
        started_at_ms=MONDAY_9,
        updated_at_ms=MONDAY_9,
    )
    await r.xadd(rt.keys.inbox, {"k": "event", "p": encode(alert), "rx": 0})
    while await rt.processor.step():
        pass
    for _ in range(200):  # a hub's own worker may be the one correlating it
        made = await r.zrange(rt.keys.cases, 0, -1)
        if made:
            break
        await asyncio.sleep(0.05)
    no = text(made[0])
    for action in ("accept", "start", "resolve", "verify", "close"):
        clock.advance(minutes=2)
        await rt.cases.act(no, action, "operator:op1")
    return no


async def test_a_closed_case_clip_is_fetched_after_the_box_comes_back_and_bundled(
    rt: HubRuntime,
    redis: Redis,
    sync_r: redis_sync.Redis,
    settings: HubSettings,
    database_url: str,
    box: Box,
    tmp_path: Path,
) -> None:
    clock = rt.clock
    assert isinstance(clock, FakeClock)
    records = settings.records.model_copy(
        update={"database_url": database_url, "media_dir": tmp_path / "media", "clip_retry_s": 5}
    )
    on = settings.model_copy(update={"records": records})
    engine = open_engine(database_url)
    store = DirectoryStore(records.media_dir)
    try:
        migrate(engine)
        no = await closed_camera_case(rt, redis, box)
        enqueuer = ClipEnqueuer(sync_r, rt.keys, 72 * HOUR_MS)
        copier = Copier(engine, sync_r, rt.keys, 50, MediaKeeper(sync_r, rt.keys, store, enqueuer))
        assert copy_pending(copier) > 0
        jobs = ClipJobs(redis, rt.keys)
        assert (await jobs.state(no))["state"] == "pending"  # the close queued it

        boxes = {CAM: f"http://127.0.0.1:{closed_port()}"}  # the box is offline
        fetcher = ClipFetcher(
            redis, rt.keys, engine, store, boxes.get, TOKEN, records, now_ms=clock.now_ms
        )
        assert await fetcher.step() == "retried"
        job = await jobs.state(no)
        assert job["attempts"] == "1" and job["reason"].startswith("box did not answer")
        assert await fetcher.step() is None  # not due again before its wait
        boxes[CAM] = box.url  # back
        clock.advance(seconds=5)
        assert await fetcher.step() == "done"
        assert (await jobs.state(no))["state"] == "done"

        with engine.connect() as conn:
            rows = conn.execute(select(media).where(media.c.kind == "clip")).all()
        # the window the box protects: 30 s before the alarm to 30 s after its end
        t0, t1 = MONDAY_9 - 30_000, MONDAY_9 + MIN + 30_000
        assert [(r.case_no, r.ref, r.content_type) for r in rows] == [
            (no, f"clip:{CAM}:{t0}-{t1}", "video/mp4")
        ]
        data = store.get(rows[0].sha256)
        assert data is not None and hashlib.sha256(data).hexdigest() == rows[0].sha256
        assert rows[0].bytes == len(data)
        clip_file = tmp_path / "fetched.mp4"
        clip_file.write_bytes(data)
        with av.open(str(clip_file)) as container:
            stream = container.streams.video[0]
            base, duration = stream.time_base, stream.duration
            seconds = float(duration * base) if duration and base else 0.0
        assert 118 <= seconds <= 122, seconds  # two minutes of real video (keyframe each s)

        # once kept, a second close (a reopened case) fetches nothing again
        assert await fetcher.step() is None

        out = tmp_path / "bundle"
        names = export(on, sync_r, no, out, clock.now_ms())
        name = f"media/clip-{CAM}-{t0}-{t1}.mp4"
        assert name in names and (out / name).read_bytes() == data
        manifest = json.loads((out / "manifest.json").read_text())
        listed = {f["path"]: f for f in manifest["files"]}
        assert listed[name]["sha256"] == rows[0].sha256
        assert verify(out) == []
        flip(out / name, 5000)
        assert verify(out) == [f"{name}: SHA-256 differs from the manifest (the file was altered)"]
    finally:
        engine.dispose()


async def test_a_box_that_never_answers_gives_up_with_its_reason(
    rt: HubRuntime,
    redis: Redis,
    sync_r: redis_sync.Redis,
    settings: HubSettings,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = rt.clock
    assert isinstance(clock, FakeClock)
    records = settings.records.model_copy(
        update={"database_url": database_url, "clip_retry_s": 60, "clip_retry_max_s": 3600}
    )
    engine = open_engine(database_url)
    try:
        migrate(engine)
        now = clock.now_ms()
        job = ClipJob("C-9", CAM, "z1", "06010", now - HOUR_MS, now, now + 2 * HOUR_MS)
        assert ClipEnqueuer(sync_r, rt.keys, 0).enqueue(job, now)
        assert not ClipEnqueuer(sync_r, rt.keys, 0).enqueue(job, now)  # once per case
        down = f"http://127.0.0.1:{closed_port()}"
        fetcher = ClipFetcher(
            redis,
            rt.keys,
            engine,
            DirectoryStore(tmp_path / "m"),
            {CAM: down}.get,
            TOKEN,
            records,
            now_ms=clock.now_ms,
        )
        outcomes = []
        gave_up_before = _clip_metric("gave_up")
        for _ in range(20):
            clock.advance(minutes=61)  # past any wait so far
            got = await fetcher.step()
            if got is None:
                continue
            outcomes.append(got)
            if got == "gave_up":
                break
        # 1 min, 2 min, ... then the next wait would end past the protection: given up
        assert outcomes[-1] == "gave_up" and set(outcomes[:-1]) == {"retried"}
        assert _clip_metric("gave_up") == gave_up_before + 1  # what an alert rule watches
        state = await ClipJobs(redis, rt.keys).state("C-9")
        assert state["state"] == "gave_up"
        assert "protection ends" in state["reason"] and "box did not answer" in state["reason"]
        assert summary(sync_r, rt.keys) == (0, [("C-9", state["reason"])])
        cfg = tmp_path / "hub.yaml"  # the hub_settings fixture's file
        cfg.write_text(cfg.read_text() + f"records:\n  database_url: {database_url}\n")
        capsys.readouterr()
        assert hub_main(["records", "status", "--config", str(cfg)]) == 0
        out = capsys.readouterr().out
        assert "clips: 0 to fetch from boxes; 1 recently given up" in out
        assert f"  case C-9: {state['reason']}" in out
    finally:
        engine.dispose()


async def test_the_hub_app_fetches_a_closed_case_clip_by_itself(
    hub_settings: HubSettings,
    redis: Redis,
    database_url: str,
    box: Box,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wiring: a hub with records on and cam-01 on the box copies the close, queues the
    job and its own worker (started by the video lifespan) keeps the clip."""
    config = tmp_path / "video.yaml"
    config.write_text(
        f"video:\n  prebuffer_rendition: null\n  cameras:\n    {CAM}: {{url: '{box.url}'}}\n"
    )
    monkeypatch.setenv("GRIDWALL_VIDEO_CONFIG", str(config))
    monkeypatch.setenv("GRIDWALL_VIDEO_TOKEN", TOKEN)
    records = hub_settings.records.model_copy(
        update={"database_url": database_url, "media_dir": tmp_path / "media"}
    )
    settings = hub_settings.model_copy(update={"records": records})
    rt = HubRuntime(settings, clock=FakeClock(MONDAY_9), mqtt=False, timer_loop=False)
    await rt.start()
    app = create_app(settings, runtime=rt, tokens=TOKENS)
    try:
        async with app.router.lifespan_context(app):
            no = await closed_camera_case(rt, redis, box)
            assert rt.records is not None
            engine = rt.records.engine
            deadline = asyncio.get_running_loop().time() + 20
            rows: list[Any] = []
            while not rows and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
                with engine.connect() as conn:
                    rows = list(conn.execute(select(media).where(media.c.kind == "clip")).all())
            assert [(r.case_no, r.ref) for r in rows] == [
                (no, f"clip:{CAM}:{MONDAY_9 - 30_000}-{MONDAY_9 + MIN + 30_000}")
            ]
            assert app.state.clip_fetcher.counts["done"] == 1
    finally:
        await rt.stop()


def _clip_metric(outcome: str) -> float:
    value = METRICS.registry.get_sample_value(
        "gridwall_hub_clip_fetches_total", {"outcome": outcome}
    )
    return value or 0.0

"""Must show: a real RTSP camera that drops, stalls, sends garbage or changes resolution is
reported on the box's stats topic and recovered, and how long each takes.

The whole agent runs on the real broker; the camera is GStreamer's RTSP server. Timeouts are
short here (``FAST_RECOVERY``); ``bench/rtsp_recovery.py`` measures the product defaults.
Each test prints its times (``-s``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from edge.agent import Agent
from tests.edge.helpers import wait_for
from tests.rtsp.agent_rig import StatsLog, rtsp_agent
from tests.rtsp.conftest import street_mounts
from tests.rtsp.server import RtspServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
CAM = "cam-r"


def _frames(agent: Agent) -> int:
    return agent.pipelines[CAM].capture.frames


def _online_with_frames(agent: Agent, log: StatsLog) -> None:
    """Up longer than offline_after_s (1 s), so a fault starts a new outage."""
    online = log.first(lambda c: c.state == "online", 0.0, 30.0)
    assert online is not None, log.reports
    assert wait_for(lambda: _frames(agent) >= 5, 20.0), _frames(agent)
    time.sleep(max(0.0, online.at_s + 1.5 - time.monotonic()))


def _recovered(agent: Agent, log: StatsLog, healed_s: float) -> tuple[float, float]:
    """Seconds from the fix to the 'online' report and to the first new frame."""
    before = _frames(agent)
    online = log.first(lambda c: c.state == "online", healed_s, 30.0)
    assert online is not None, log.reports[-5:]
    assert wait_for(lambda: _frames(agent) > before, 20.0, 0.01)
    return online.at_s - healed_s, time.monotonic() - healed_s


def test_a_camera_that_drops_is_reported_offline_and_recovered(
    tmp_path: Path, mqtt_url: str, topic_prefix: str, clips: dict[str, Path]
) -> None:
    server = RtspServer(street_mounts(clips)).start()
    try:
        with rtsp_agent(tmp_path, mqtt_url, topic_prefix, {CAM: server.url("/h264")}) as (
            agent,
            log,
        ):
            _online_with_frames(agent, log)
            dropped_s = time.monotonic()
            server.kill()  # the camera loses power: no TEARDOWN, the connection just goes
            down = log.first(lambda c: c.state == "reconnecting", dropped_s, 15.0)
            assert down is not None and down.camera.reason, log.reports[-3:]
            assert "ended" in down.camera.reason or "dropped" in down.camera.reason
            offline = log.first(lambda c: c.state == "offline", dropped_s, 15.0)
            assert offline is not None, log.reports[-3:]
            assert offline.at_s - dropped_s >= 0.8  # offline_after_s (1 s) of retries first
            server.start()
            back_s = time.monotonic()  # the camera answers again
            to_report, to_frame = _recovered(agent, log, back_s)
    finally:
        server.stop()
    print(
        f"\ndrop: reported {down.at_s - dropped_s:.2f} s after, offline after "
        f"{offline.at_s - dropped_s:.2f} s; back: online report {to_report:.2f} s, "
        f"first frame {to_frame:.2f} s"
    )
    assert not log.errors


@pytest.mark.parametrize(
    ("fault", "fix", "says"), [("stall", "resume", "stalled"), ("garbage", "clean", "garbage")]
)
def test_a_camera_that_stalls_or_sends_garbage_is_reported_and_recovered(
    tmp_path: Path,
    mqtt_url: str,
    topic_prefix: str,
    clips: dict[str, Path],
    fault: str,
    fix: str,
    says: str,
) -> None:
    server = RtspServer(street_mounts(clips)).start()
    try:
        with rtsp_agent(tmp_path, mqtt_url, topic_prefix, {CAM: server.url("/h265")}) as (
            agent,
            log,
        ):
            _online_with_frames(agent, log)
            broke_s = time.monotonic()
            server.command(f"{fault} /h265")
            down = log.first(lambda c: c.state != "online", broke_s, 20.0)
            assert down is not None and down.camera.reason, log.reports[-3:]
            assert says in down.camera.reason, down.camera.reason
            # reconnects see the same fault: the outage goes on to offline (a garbled stream
            # may show a picture or two after each reconnect, which does not end the outage)
            assert log.first(lambda c: c.state == "offline", broke_s, 15.0) is not None
            healed_s = time.monotonic()
            server.command(f"{fix} /h265")
            to_report, to_frame = _recovered(agent, log, healed_s)
    finally:
        server.stop()
    print(
        f"\n{fault}: reported {down.at_s - broke_s:.2f} s after ({down.camera.reason}); "
        f"fixed: online report {to_report:.2f} s, first frame {to_frame:.2f} s"
    )
    assert not log.errors


def test_a_resolution_change_is_reported_and_frames_keep_coming(
    tmp_path: Path, mqtt_url: str, topic_prefix: str, rtsp: RtspServer
) -> None:
    with rtsp_agent(tmp_path, mqtt_url, topic_prefix, {CAM: rtsp.url("/resize")}) as (agent, log):
        sub = agent.frame_tap.subscribe(CAM, maxlen=64)
        shapes: list[tuple[int, int, int]] = []  # (width, height, captured_ms)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(w == 960 for w, _, _ in shapes):
            frame = sub.get(timeout_s=0.5)
            if frame is not None:
                h, w = frame.image.shape[:2]
                shapes.append((w, h, frame.captured_ms))
        sub.close()
        switch = next(i for i, (w, _, _) in enumerate(shapes) if w == 960)
        assert shapes[switch - 1][:2] == (640, 360)
        gap_ms = shapes[switch][2] - shapes[switch - 1][2]
        report = log.first(
            lambda c: (
                c.state == "online" and c.reason == "resolution changed from 640x360 to 960x540"
            ),
            0.0,
            10.0,
        )
        assert report is not None, log.reports[-3:]
        detections = agent.pipelines[CAM].detections_run
        assert wait_for(lambda: agent.pipelines[CAM].detections_run > detections + 3, 10.0)
        assert agent.pipelines[CAM].capture.state == "online"
    print(f"\nresolution change: {gap_ms} ms between the last 640x360 and first 960x540 frame")
    assert gap_ms < 1000  # no reconnect: the next picture, at 5 fps
    assert not log.errors

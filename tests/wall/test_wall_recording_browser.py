"""The console's recordings panel in headless Chromium against a box's real recordings,
through the hub's proxy: a recorded hour (``tests/recording/hour.py``: a real x264 stream
remuxed by the real recorder with shifted timestamps, so an hour takes a second to make)
shows as 60 segments on the 24 h timeline with its alarm mark; a click on the mark plays
from the alarm's clip start; the player seeks (``currentTime`` moves and frames advance)
within a segment, and to another segment from a click on the timeline zoomed to 1 h; "export clip" downloads an MP4
of [from, to] that PyAV opens with that duration (within a keyframe interval). The same
routes keep the live camera routes' auth and scope, and a closed case reaches the box."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from edge.frame_tap import FrameTap
from edge.recording.http import RecordingRoutes
from edge.recording.recorder import Recorder
from edge.recording.settings import RecordingSettings
from edge.video.service import VideoService
from edge.video.settings import EdgeVideoSettings
from hub.api.auth import Principal
from hub.domain.area import Area
from tests.recording.hour import IdleFeed, encoded_loop, record_span
from tests.wall.conftest import ARTIFACTS, TOKEN, WAIT_MS, WallServer
from tests.wall.test_wall_browser import define_wall

pytestmark = pytest.mark.integration
DESK = {"width": 1600, "height": 1000}
CAM = "cam-01"
BOX_TOKEN = "box-token-recordings-0123"
MIN = 60_000


@dataclass
class RecordedBox:
    start_ms: int
    end_ms: int
    alarm_ms: tuple[int, int]
    recorder: Recorder


@pytest.fixture
def recorded_box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordedBox]:
    """A box with an hour of cam-01 recorded (ending 5 min ago) and one alarm in minute 20,
    serving its recordings; the hub's video settings point cam-01 at it (set before the
    hub is made: request this fixture before ``wall_server``)."""
    start = (int(time.time() * 1000) // MIN - 65) * MIN
    settings = RecordingSettings(path=tmp_path / "rec", segment_s=60, retention_interval_s=3600)
    recorder = Recorder(settings, {CAM: IdleFeed()})
    end = record_span(recorder, CAM, encoded_loop(), start, 60)
    alarm = (start + 20 * MIN + 5_000, start + 20 * MIN + 40_000)
    recorder.index.alarm_began("ev-rec-1", CAM, "z1", "06010", alarm[0])
    recorder.index.alarm_ended("ev-rec-1", alarm[1])
    recorder.start()
    video = VideoService(EdgeVideoSettings(port=0), FrameTap(), BOX_TOKEN).start()
    video.server.recordings = RecordingRoutes(recorder)
    config = tmp_path / "video.yaml"
    config.write_text(
        "video:\n  prebuffer_rendition: null\n  cameras:\n"
        f"    {CAM}: {{url: 'http://127.0.0.1:{video.server.port}'}}\n"
        f"    cam-02: {{url: 'http://127.0.0.1:{closed_port()}'}}\n"  # a box that is down
        "    cam-03: {url: 'rtsp://127.0.0.1:8554/none'}\n"  # pulled from the camera itself
    )
    monkeypatch.setenv("GRIDWALL_VIDEO_CONFIG", str(config))
    monkeypatch.setenv("GRIDWALL_VIDEO_TOKEN", BOX_TOKEN)
    try:
        yield RecordedBox(start, end, alarm, recorder)
    finally:
        video.stop()
        recorder.stop()


def playing_at(page: Any) -> dict[str, Any]:
    out: dict[str, Any] = page.evaluate(
        """() => { const v = document.querySelector('#rec-video');
        return {t: v.currentTime, paused: v.paused, seg: v.dataset.segment,
                at: Number(v.dataset.positionMs || 0), frames: window.__frames || 0,
                w: v.videoWidth}; }"""
    )
    return out


def wait_playing(page: Any, min_t: float = 0.0) -> None:
    """currentTime past ``min_t`` and still advancing, with new frames painted."""
    before = playing_at(page)
    page.wait_for_function(
        """([minT, frames]) => { const v = document.querySelector('#rec-video');
           return !v.paused && v.currentTime > minT + 0.6 && (window.__frames || 0) > frames + 2; }""",
        arg=[max(min_t, 0.0), before["frames"]],
        timeout=WAIT_MS,
    )


def test_console_plays_a_recorded_hour_with_its_alarm_mark_seeks_and_exports_a_clip(
    recorded_box: RecordedBox, wall_server: WallServer, browser: Any, tmp_path: Path
) -> None:
    box = recorded_box
    define_wall(wall_server, "desk", {"rows": 1, "cols": 1, "layout": "4"}, {})
    page = browser.new_page(viewport=DESK, accept_downloads=True)
    try:
        page.goto(wall_server.page_url("/console/?wall=desk"))
        page.wait_for_selector('#rec-timeline[data-segments="60"]', timeout=WAIT_MS)
        assert page.locator("#rec-timeline .seg").count() == 60
        mark = page.locator('#rec-timeline .mark[data-event-id="ev-rec-1"]')
        assert mark.count() == 1
        page.evaluate(
            """() => { const v = document.querySelector('#rec-video');
            const tick = () => { window.__frames = (window.__frames || 0) + 1;
                                 v.requestVideoFrameCallback(tick); };
            v.requestVideoFrameCallback(tick); }"""
        )
        # the alarm mark plays from the alarm's clip start (30 s before it began)
        mark.click()
        wait_playing(page)
        state = playing_at(page)
        clip_start = box.alarm_ms[0] - 30_000
        assert abs(state["at"] - clip_start) < 3_000, (state, clip_start)
        assert state["w"] == 320
        first_segment = state["seg"]
        # the player's seek within the segment: currentTime moves on and frames advance
        page.evaluate("() => { document.querySelector('#rec-video').currentTime = 40; }")
        wait_playing(page, 40.0)
        assert playing_at(page)["seg"] == first_segment
        # zoom to 1 h around what plays, then a click on the timeline at minute 45 of the
        # hour: another segment plays from there
        page.locator("#rec-pick [name=span]").select_option("1")
        page.wait_for_function(
            "() => Number(document.querySelector('#rec-timeline').dataset.t1) -"
            " Number(document.querySelector('#rec-timeline').dataset.t0) === 3600000"
        )
        target = box.start_ms + 45 * MIN + 30_000
        tl = page.locator("#rec-timeline").bounding_box()
        t0, t1 = (
            int(page.locator("#rec-timeline").get_attribute(f"data-{k}") or 0) for k in ("t0", "t1")
        )
        assert t0 < target < t1
        x = tl["x"] + tl["width"] * (target - t0) / (t1 - t0)
        page.mouse.click(x, tl["y"] + tl["height"] / 2)
        page.wait_for_function(
            "seg => document.querySelector('#rec-video').dataset.segment !== seg",
            arg=first_segment,
            timeout=WAIT_MS,
        )
        wait_playing(page)
        px_ms = (t1 - t0) / tl["width"]  # what one pixel of the timeline is worth
        assert abs(playing_at(page)["at"] - target) < 2 * px_ms + 3_000
        # export [alarm start - 10 s, + 30 s]
        want = (box.alarm_ms[0] - 10_000, box.alarm_ms[0] + 20_000)
        page.evaluate(
            """([a, b]) => { const f = document.querySelector('#rec-export');
            const pad = (n) => String(n).padStart(2, '0');
            const put = (ms) => { const d = new Date(ms);
              return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
                     `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`; };
            f.dataset.touched = '1'; f.from.value = put(a); f.to.value = put(b); }""",
            want,
        )
        with page.expect_download(timeout=WAIT_MS) as download:
            page.locator("#rec-export button").click()
        saved = tmp_path / "clip.mp4"
        download.value.save_as(saved)
        page.locator("#recordings-box").screenshot(path=str(ARTIFACTS / "console_recordings.png"))
    finally:
        page.close()
    with av.open(str(saved)) as clip:
        stream = clip.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 320, 180)
        pictures = sum(1 for _ in clip.decode(video=0))
        duration_s = clip.duration / 1e6 if clip.duration else 0.0
    keyframe_interval_s = 1.0
    assert 30.0 - 0.3 <= duration_s <= 30.0 + keyframe_interval_s + 0.3, duration_s
    assert pictures >= 30 * 5 - 2
    # the same hub, without the browser (one hub start for both: make test time)
    check_scope_and_case_close(box, wall_server)


def check_scope_and_case_close(recorded_box: RecordedBox, wall_server: WallServer) -> None:
    """No token: 401. A street token for a street cam-01 does not look into, or a responder
    without a case of that camera: 404 on the listing, a segment and a clip, as for live
    video. A ticket opens a segment and a clip (the <video> and the download) but not the
    listing. The box's own errors come through with its reason. And a case of the camera
    closing (an entry on the hub's change stream) reaches the box: its alarm's keep period
    starts then."""
    street_of_cam = str(wall_server.rt.ctx.zones[(CAM, "ground")].grid_code)[:9]
    other = next(s for s in wall_server.district.streets if s != street_of_cam)
    wall_server.app.state.tokens.update(
        {
            "street-other-operator-0123456789": Principal(
                "op-b", "operator", None, Area("street", other)
            ),
            "responder-no-case-0123456789": Principal("r1", "responder", "p-001"),
            "street-own-operator-0123456789": Principal(
                "op-a", "operator", None, Area("street", street_of_cam)
            ),
        }
    )
    seg = box_first_segment(wall_server)
    clip = f"/video/{CAM}/recordings/clip.mp4?start_ms={recorded_box.alarm_ms[0]}&end_ms={recorded_box.alarm_ms[0] + 5000}"
    urls = [f"/video/{CAM}/recordings", f"/video/{CAM}/recordings/segments/{seg}.mp4", clip]
    with httpx.Client(base_url=wall_server.url, timeout=30) as anon:
        assert [anon.get(u).status_code for u in urls] == [401, 401, 401]
        for token in ("street-other-operator-0123456789", "responder-no-case-0123456789"):
            got = [anon.get(u, headers=bearer(token)).status_code for u in urls]
            assert got == [404, 404, 404], (token, got)
        own = [anon.get(u, headers=bearer("street-own-operator-0123456789")) for u in urls]
        assert [r.status_code for r in own] == [200, 200, 200]
        assert own[1].headers["content-type"] == "video/mp4"
        ticket = anon.post("/api/tickets", headers=bearer(TOKEN)).json()["ticket"]
        with_ticket = [
            anon.get(f"{u}{'&' if '?' in u else '?'}ticket={ticket}").status_code for u in urls
        ]
        assert with_ticket == [401, 200, 200]
        part = anon.get(urls[1], headers={**bearer(TOKEN), "Range": "bytes=100-199"})
        assert part.status_code == 206 and len(part.content) == 100
        assert part.headers["content-range"].startswith("bytes 100-199/")
        # the box's reasons, passed on
        gone = anon.get(f"/video/{CAM}/recordings/segments/99999.mp4", headers=bearer(TOKEN))
        assert gone.status_code == 404 and "no segment 99999" in gone.text
        empty = anon.get(
            f"/video/{CAM}/recordings/clip.mp4",
            params={
                "start_ms": recorded_box.end_ms + 600_000,
                "end_ms": recorded_box.end_ms + 610_000,
            },
            headers=bearer(TOKEN),
        )
        assert empty.status_code == 404 and "nothing recorded" in empty.text
        too_long = anon.get(
            f"/video/{CAM}/recordings/clip.mp4",
            params={"start_ms": recorded_box.start_ms, "end_ms": recorded_box.end_ms},
            headers=bearer(TOKEN),
        )
        assert too_long.status_code == 422
        # every clip made for an answer was removed once sent
        assert not list((recorded_box.recorder.root / ".exports").glob("*"))
        unknown = anon.get("/video/cam-99/recordings", headers=bearer(TOKEN))
        assert unknown.status_code == 404
        down = anon.get("/video/cam-02/recordings", headers=bearer(TOKEN))
        assert down.status_code == 502 and "did not answer" in down.text
        direct = anon.get("/video/cam-03/recordings", headers=bearer(TOKEN))
        assert direct.status_code == 404 and "no box records it" in direct.text

        # a case of cam-01 closed: the box hears it (hub/video/recording_release.py)
        keys = wall_server.rt.keys
        closed_ms = recorded_box.alarm_ms[1] + 600_000
        case_no = "33990120261207100001"
        event = {"action": "close", "at_ms": closed_ms, "actor": "op1", "data": {}}

        async def close_case() -> None:
            redis = wall_server.rt.redis
            await redis.hset(
                keys.case(case_no),
                mapping={
                    "camera_id": CAM,
                    "alarm_key": f"{CAM}:z1:06010",
                    "created_ms": recorded_box.alarm_ms[0] + 2_000,
                },
            )
            await redis.xadd(
                keys.changes, {"kind": "case", "case_no": case_no, "event": json.dumps(event)}
            )

        wall_server.run(close_case())
        deadline = time.monotonic() + 10
        marks: list[Any] = []
        while time.monotonic() < deadline:
            marks = recorded_box.recorder.index.alarms(CAM)
            if marks and marks[0].mark.closed_ms is not None:
                break
            time.sleep(0.05)
        assert [m.mark.closed_ms for m in marks] == [closed_ms]
        with wall_server.client() as c:
            alarm = c.get(f"/video/{CAM}/recordings").json()["alarms"][0]
        keep_ms = 72 * 3_600_000  # keep_after_close_h's default
        assert alarm["protected_until_ms"] == closed_ms + keep_ms


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def box_first_segment(srv: WallServer) -> int:
    with srv.client() as c:
        got = c.get(f"/video/{CAM}/recordings")
        got.raise_for_status()
        return int(got.json()["segments"][0]["id"])

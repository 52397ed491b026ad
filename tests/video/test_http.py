"""The hub's video HTTP surface on the real rig: auth, errors, snapshot, MJPEG, alarm clips."""

from __future__ import annotations

import asyncio
import io
import time

import av
import cv2
import httpx
import numpy as np
import numpy.typing as npt
import pytest

from edge.video.stamp import read_stamp
from tests.video.rig import TOKEN, video_rig, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OFFER = {"Content-Type": "application/sdp", **AUTH}


def decode_jpeg(data: bytes) -> npt.NDArray[np.uint8]:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a JPEG"
    return np.asarray(image, dtype=np.uint8)


async def test_whep_refusals_name_the_problem() -> None:
    async with video_rig() as rig, httpx.AsyncClient(base_url=rig.hub_url, timeout=10) as c:
        r = await c.post(
            "/video/cam-01/whep", content="v=0", headers={"Content-Type": "application/sdp"}
        )
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        r = await c.post(
            "/video/cam-01/whep", content="v=0", headers={**AUTH, "Authorization": "Bearer nope"}
        )
        assert r.status_code == 401
        r = await c.post(
            "/video/cam-01/whep", content="v=0", headers={**AUTH, "Content-Type": "text/plain"}
        )
        assert r.status_code == 415 and "application/sdp" in r.json()["detail"]
        r = await c.post("/video/cam-99/whep", content="v=0\r\nm=video 9", headers=OFFER)
        assert r.status_code == 404 and "'cam-99'" in r.json()["detail"]
        r = await c.post("/video/cam-01/whep?rendition=huge", content="m=video", headers=OFFER)
        assert r.status_code == 404 and "'huge'" in r.json()["detail"]
        r = await c.post("/video/cam-01/whep", content="v=0\r\nm=audio 9", headers=OFFER)
        assert r.status_code == 400 and "m=video" in r.json()["detail"]
        r = await c.post("/video/cam-01/whep", content="v=0\r\nm=video garbage", headers=OFFER)
        assert r.status_code == 400 and "cannot answer" in r.json()["detail"]
        assert not rig.registry.sessions  # refused offers leave nothing behind
        r = await c.delete("/video/sessions/abc", headers=AUTH)
        assert r.status_code == 404 and "'abc'" in r.json()["detail"]
        r = await c.get("/video/config", headers=AUTH)
        assert r.json()["base_url"] == "/video" and r.json()["cameras"] == ["cam-01"]


async def test_edge_server_refuses_bad_token_and_path() -> None:
    async with video_rig() as rig, httpx.AsyncClient(timeout=10) as c:
        base = f"http://127.0.0.1:{rig.edge.port}"
        r = await c.get(f"{base}/video/cam-01/main", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
        r = await c.get(f"{base}/video/cam-01/huge", headers=AUTH)
        assert r.status_code == 404 and "'huge'" in r.text
        r = await c.get(f"{base}/other", headers=AUTH)
        assert r.status_code == 404 and "'/other'" in r.text


async def test_snapshot_and_mjpeg_fallback() -> None:
    async with video_rig() as rig, httpx.AsyncClient(base_url=rig.hub_url, timeout=10) as c:
        r = await c.get("/video/cam-01/snapshot.jpg", params={"access_token": TOKEN})
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        image = decode_jpeg(r.content)
        assert image.shape == (360, 640, 3)
        assert image.std() > 10  # a scene, not a blank picture

        jpegs: list[bytes] = []
        buffer = b""
        async with c.stream("GET", "/video/cam-01/mjpeg", params={"access_token": TOKEN}) as r:
            assert r.headers["content-type"].startswith("multipart/x-mixed-replace")
            async for chunk in r.aiter_bytes():
                buffer += chunk
                while (start := buffer.find(b"\xff\xd8")) >= 0 and (
                    end := buffer.find(b"\xff\xd9", start)
                ) >= 0:
                    jpegs.append(buffer[start : end + 2])
                    buffer = buffer[end + 2 :]
                if len(jpegs) >= 3:
                    break
        sizes = {decode_jpeg(j).shape for j in jpegs}
        assert sizes == {(180, 320, 3)}


async def test_alarm_clip_holds_frames_from_before_the_alarm() -> None:
    async with (
        video_rig(stamp_time=True, prebuffer_s=10.0) as rig,
        httpx.AsyncClient(base_url=rig.hub_url, timeout=10) as c,
    ):
        ring = rig.registry.rings["cam-01"]
        await wait_until(lambda: len(ring) >= 30, 20, "3 s in the buffer, with no viewer at all")
        alarm_ms = time.time_ns() // 1_000_000
        await asyncio.sleep(1.0)
        r = await c.get(
            "/video/cam-01/clip",
            params={"start_ms": alarm_ms - 2000, "end_ms": alarm_ms + 1000},
            headers=AUTH,
        )
        assert r.status_code == 200 and r.headers["content-type"] == "video/webm"
        stamps = []
        with av.open(io.BytesIO(r.content), mode="r") as clip:
            for frame in clip.decode(video=0):
                image = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
                stamps.append(read_stamp(image, 640, alarm_ms))
                assert (frame.width, frame.height) == (640, 360)
        assert len(stamps) >= 20  # ~3 s at 10 fps
        assert stamps[0] <= alarm_ms - 2000  # starts at the keyframe before the window
        assert any(s < alarm_ms for s in stamps) and any(s > alarm_ms for s in stamps)
        assert stamps == sorted(stamps)
        assert int(r.headers["x-clip-first-ms"]) == stamps[0]  # capture time = stamped time

        r = await c.get("/video/cam-01/clip", params={"start_ms": 10, "end_ms": 5}, headers=AUTH)
        assert r.status_code == 422 and "10..5" in r.json()["detail"]
        r = await c.get("/video/cam-99/clip", params={"start_ms": 1, "end_ms": 5}, headers=AUTH)
        assert r.status_code == 404 and "'cam-99'" in r.json()["detail"]

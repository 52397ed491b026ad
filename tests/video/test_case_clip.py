"""A case reported from a camera alarm keeps a clip that starts before the alarm."""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import av
import numpy as np
import pytest
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from edge.video.stamp import read_stamp
from hub.video.case_clips import CaseClipper, camera_report, clip_key
from tests.video.rig import video_rig, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def _report(
    case_no: str, camera_id: str, at_ms: int, action: str = "report"
) -> dict[FieldT, EncodableT]:
    event = {
        "seq": 0,
        "at_ms": at_ms,
        "actor": "edge:edge-01",
        "action": action,
        "from_state": "",
        "to_state": "reported",
        "data": {"camera_id": camera_id},
    }
    return {b"kind": b"case", b"case_no": case_no.encode(), b"event": json.dumps(event).encode()}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (_report("33990120261123100001", "cam-01", 5), ("33990120261123100001", "cam-01", 5)),
        (_report("33990120261123100001", "cam-01", 5, action="dispatch"), None),
        ({b"kind": b"alarm_queued"}, None),
        ({b"kind": b"case", b"case_no": b"1", b"event": b"{not json"}, None),
        ({b"kind": b"case", b"case_no": b"1", b"event": b'{"action": "report", "data": {}}'}, None),
    ],
)
def test_which_changes_are_camera_reports(
    fields: Any, expected: tuple[str, str, int] | None
) -> None:
    assert camera_report(fields) == expected


async def test_case_clip_holds_frames_from_before_the_alarm(
    redis_url: str, redis_prefix: str
) -> None:
    redis = Redis.from_url(redis_url)
    try:
        async with video_rig(stamp_time=True, prebuffer_s=10.0) as rig:
            ring = rig.registry.rings["cam-01"]
            await wait_until(lambda: len(ring) >= 40, 30, "4 s of video in the pre-event buffer")
            clipper = CaseClipper(rig.registry, redis, redis_prefix, before_s=3.0, after_s=1.0)
            runner = asyncio.create_task(clipper.run(start_id="0"))
            alarm_ms = time.time_ns() // 1_000_000
            case_no = "33990120261123100001"
            await redis.xadd(f"{redis_prefix}:changes", _report(case_no, "cam-01", alarm_ms))
            await redis.xadd(
                f"{redis_prefix}:changes", _report("33990120261123100002", "cam-77", alarm_ms)
            )
            await wait_until(lambda: clipper.saved >= 1, 20, "the case clip saved")
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            await clipper.stop()
        raw: Any = await redis.hgetall(clip_key(redis_prefix, case_no))
        assert raw[b"media_type"] == b"video/webm" and raw[b"camera_id"] == b"cam-01"
        stamps = []
        with av.open(io.BytesIO(raw[b"data"]), mode="r") as clip:
            for frame in clip.decode(video=0):
                image = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
                stamps.append(read_stamp(image, 640, alarm_ms))
        assert len(stamps) >= 25  # about 4 s at 10 fps
        assert stamps[0] <= alarm_ms - 3000  # from the keyframe before the window
        assert max(stamps) >= alarm_ms + 500
        assert stamps == sorted(stamps)
        # the camera without a buffer got no clip, and nothing crashed
        assert not await redis.exists(clip_key(redis_prefix, "33990120261123100002"))
    finally:
        await redis.delete(
            clip_key(redis_prefix, "33990120261123100001"), f"{redis_prefix}:changes"
        )
        await redis.aclose()

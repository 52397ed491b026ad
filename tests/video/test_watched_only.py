"""At county size the relay pulls only what is watched: 12,000 cameras configured, the
pre-event buffer on one of them; every other stream is pulled from its box only while a
viewer watches it, and let go when the last viewer leaves (``GET /video/stats``)."""

from __future__ import annotations

import httpx
import pytest

from hub.video.settings import VideoSettings
from hub.video.whep_client import WhepViewer
from tests.video.rig import TOKEN, video_rig, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

COUNTY = 12_000


async def test_only_watched_streams_are_pulled_among_12000_cameras() -> None:
    nowhere = "http://127.0.0.1:9"  # a box that is not there: pulling it would fail loudly
    async with video_rig(
        ("cam-01", "cam-02"),
        fps=5.0,
        extra_cameras={f"cam-{i:05d}": nowhere for i in range(3, COUNTY + 1)},
        prebuffer_cameras=["cam-02"],
    ) as rig:

        async def stats(client: httpx.AsyncClient) -> dict[str, object]:
            res = await client.get(
                f"{rig.hub_url}/video/stats", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            body: dict[str, object] = res.json()
            return body

        def pulled() -> set[tuple[str, str]]:
            return {(r.camera_id, r.rendition) for r in rig.registry._relays.values() if r.running}

        async with httpx.AsyncClient(timeout=10) as client:
            # nobody watches: only cam-02's pre-event buffer is pulled, not 12,000 streams
            await wait_until(lambda: pulled() == {("cam-02", "main")}, 10, "cam-02's buffer")
            assert (await stats(client))["upstreams_running"] == 1
            viewer = WhepViewer(rig.whep("cam-01", "sub"), TOKEN)
            await viewer.start(client)
            await viewer.wait_frames(3, timeout_s=20)
            assert pulled() == {("cam-02", "main"), ("cam-01", "sub")}
            assert (await stats(client))["upstreams_running"] == 2
            assert rig.edge.encoders_running == 2  # the box encodes what is pulled only
            await viewer.close(client)
            # the last viewer gone: let go after idle_stop_s (0.5 s in the rig)
            await wait_until(lambda: pulled() == {("cam-02", "main")}, 10, "cam-01 let go")
            assert (await stats(client))["upstreams_running"] == 1


def test_prebuffer_cameras_must_be_configured() -> None:
    with pytest.raises(ValueError, match="prebuffer_cameras names 'cam-09', which is not in"):
        VideoSettings.model_validate(
            {"cameras": {"cam-01": {"url": "http://box:8554"}}, "prebuffer_cameras": ["cam-09"]}
        )

"""``GET /video/stats`` counts the video encoders open for viewers: 0 while the relay passes
the camera's packets through, 1 once a viewer's sender is handed decoded frames to encode."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from aiortc import VideoStreamTrack

from hub.video.whep_client import WhepViewer
from tests.video.rig import TOKEN, wait_until
from tests.video.test_passthrough import file_camera_hub

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_stats_count_the_encoders_a_viewer_needs(tmp_path: Path) -> None:
    async with (
        file_camera_hub(tmp_path) as (url, registry),
        httpx.AsyncClient(timeout=10) as client,
    ):

        async def encoders() -> int:
            r = await client.get(f"{url}/video/stats", headers=AUTH)
            r.raise_for_status()
            n: int = r.json()["encoders"]
            return n

        viewer = WhepViewer(f"{url}/video/cam-h264/whep", TOKEN)
        await viewer.start(client)
        await viewer.wait_frames(10, timeout_s=20)
        assert await encoders() == 0  # the camera's own H.264, passed through
        # what a relay that decoded and re-encoded would do: the sender gets pictures
        session = next(iter(registry.sessions.values()))
        [sender] = session.pc.getSenders()
        sender.replaceTrack(VideoStreamTrack())
        seen = viewer.frames
        await wait_until(lambda: viewer.frames > seen + 3, 20, "frames encoded by the sender")
        assert await encoders() == 1
        await viewer.close(client)
        await wait_until(lambda: not registry.sessions, 10, "the session closed")
        assert await encoders() == 0

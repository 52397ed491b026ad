"""Real aiortc viewers through the real relay: frames arrive, viewers share one encoder."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from edge.video.encoder import live_encoders
from edge.video.server import EdgeVideoServer
from edge.video.settings import EdgeVideoSettings
from hub.video.whep_client import WhepViewer
from tests.video.rig import TOKEN, video_rig, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


async def test_both_renditions_decode_at_their_configured_size() -> None:
    async with video_rig() as rig, httpx.AsyncClient(timeout=10) as client:
        sub = WhepViewer(rig.whep("cam-01", "sub"), TOKEN)
        main = WhepViewer(rig.whep("cam-01", "main"), TOKEN)
        for viewer in (sub, main):
            await viewer.start(client)
        for viewer in (sub, main):
            await viewer.wait_frames(25, timeout_s=20)
        assert sub.resolution_wh == (320, 180)
        assert main.resolution_wh == (640, 360)
        for viewer in (sub, main):
            await viewer.close(client)
        await wait_until(lambda: not rig.registry.sessions, 5, "sessions closed by DELETE")


async def test_viewers_share_one_encoder_and_survive_a_killed_peer() -> None:
    async with video_rig() as rig, httpx.AsyncClient(timeout=10) as client:
        first = WhepViewer(rig.whep("cam-01", "sub"), TOKEN)
        await first.start(client)
        await first.wait_frames(10, timeout_s=20)
        encoders_with_one = (live_encoders(), rig.edge.encoders_running)
        upstreams_with_one = rig.registry.upstreams_running

        others = [WhepViewer(rig.whep("cam-01", "sub"), TOKEN) for _ in range(4)]
        for viewer in others:
            await viewer.start(client)
        for viewer in others:
            await viewer.wait_frames(10, timeout_s=20)
        sub_stream = rig.edge.stream("cam-01", "sub")
        assert sub_stream is not None
        assert (live_encoders(), rig.edge.encoders_running) == encoders_with_one
        assert rig.registry.upstreams_running == upstreams_with_one == 2  # main (buffer) + sub
        assert sub_stream.encoder_starts == 1
        assert rig.registry.relay("cam-01", "sub").upstream_starts == 1

        survivors = others[1:]
        # The box's encoding rate moves with this shared machine's load, so each viewer's
        # rate is compared with what the box encoded in the same window, before and after.
        t0, n0 = time.monotonic(), sub_stream.frames_encoded
        await asyncio.sleep(3)
        t1, n1 = time.monotonic(), sub_stream.frames_encoded
        await others[0].close(hang_up=False)  # the peer vanishes: no WHEP DELETE
        await asyncio.sleep(3)
        t2, n2 = time.monotonic(), sub_stream.frames_encoded
        source_before, source_after = (n1 - n0) / (t1 - t0), (n2 - n1) / (t2 - t1)
        assert source_before >= 4 and source_after >= 4, (source_before, source_after)
        for viewer in survivors:
            before, after = viewer.fps_between(t0, t1), viewer.fps_between(t1, t2)
            assert before >= 0.8 * source_before, f"{before:.1f} fps of {source_before:.1f} encoded"
            assert after >= 0.8 * source_after, (
                f"after the kill {after:.1f} fps of {source_after:.1f} encoded"
            )
        await wait_until(
            lambda: len(rig.registry.sessions) == 4, 20, "the dead peer's session closed"
        )
        for viewer in [first, *survivors]:
            await viewer.close(client)


async def test_unwatched_stream_stops_its_encoder_and_restarts_on_demand() -> None:
    async with video_rig() as rig, httpx.AsyncClient(timeout=10) as client:
        viewer = WhepViewer(rig.whep("cam-01", "sub"), TOKEN)
        await viewer.start(client)
        await viewer.wait_frames(5, timeout_s=20)
        sub_stream = rig.edge.stream("cam-01", "sub")
        assert sub_stream is not None and sub_stream.encoding
        await viewer.close(client)
        # hub idle_stop_s 0.5 closes the upstream, then the box's idle_stop_s 0.5 its encoder
        await wait_until(lambda: not sub_stream.encoding, 10, "sub encoder stopped")
        relay = rig.registry.relay("cam-01", "sub")
        assert not relay.running
        main_stream = rig.edge.stream("cam-01", "main")
        assert main_stream is not None and main_stream.encoding  # the pre-event buffer's

        again = WhepViewer(rig.whep("cam-01", "sub"), TOKEN)
        await again.start(client)
        await again.wait_frames(5, timeout_s=20)
        assert sub_stream.encoder_starts == 2 and relay.upstream_starts == 2
        await again.close(client)


async def test_pre_event_buffer_reconnects_when_the_box_restarts() -> None:
    async with video_rig() as rig:
        ring = rig.registry.rings["cam-01"]
        relay = rig.registry.relay("cam-01", "main")
        await wait_until(lambda: len(ring) > 5, 20, "the buffer fills")
        port = rig.edge.port
        await rig.edge.stop()  # the box goes away: its stream ends
        await wait_until(lambda: relay.reconnects >= 1, 10, "the relay tries again")
        before = relay.packets_in
        settings = EdgeVideoSettings(port=port, idle_stop_s=0.5)
        rig.edge = EdgeVideoServer(settings, rig.tap, TOKEN)
        await rig.edge.start()  # the box is back on the same address
        await wait_until(lambda: relay.packets_in > before + 10, 30, "packets flow again")
        assert relay.running

"""Must show: a real RTSP camera's H.264 reaches a WebRTC viewer as the camera encoded it,
whether the hub pulls the camera (over TCP) or the box passes it on (rendition ``camera``,
the camera read over UDP); H.265, which browsers cannot be counted on to play, is refused by the relay
with its reason and instead decoded on the box and encoded once (VP8) by its video server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from contracts.video_wire import EncodedPacket
from edge.capture import CaptureWorker
from edge.frame_tap import FrameTap
from edge.packet_tap import PacketTap
from edge.sources.rtsp import RtspSource
from edge.video.encoder import live_encoders
from edge.video.server import EdgeVideoServer
from edge.video.settings import EdgeVideoSettings
from hub.video.registry import VideoError, VideoRegistry
from hub.video.routes import bearer_token_auth, video_router
from hub.video.settings import VideoSettings
from hub.video.upstream import CameraUpstream, EdgeUpstream, StreamInfo, Upstream, UpstreamError
from hub.video.whep_client import WhepViewer
from tests.rtsp.server import RtspServer
from tests.video.rig import TOKEN, free_port, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
VCL_H264 = range(1, 6)  # coded slice NAL unit types: the pictures themselves


def vcl_units(annex_b: bytes) -> list[bytes]:
    """The H.264 slice NAL units of an Annex B byte stream (trailing zero bytes dropped)."""
    units = (u.rstrip(b"\x00") for u in annex_b.split(b"\x00\x00\x01")[1:])
    return [u for u in units if u and u[0] & 0x1F in VCL_H264]


def assert_passed_through(sent: list[bytes], clip_units: set[bytes]) -> None:
    """Pictures forwarded are the camera's own: a re-encode matches none of them. Under load
    the RTSP server may drop a slow TCP client's packets, damaging a picture or two, so
    nine in ten must be identical rather than all."""
    same = sum(u in clip_units for u in sent)
    assert len(sent) >= 8
    assert same >= 0.9 * len(sent), f"only {same} of {len(sent)} pictures as encoded: re-encoded?"


class RecordingUpstream:
    """The relay's real camera upstream, keeping a copy of every packet it hands over."""

    def __init__(self, inner: Upstream, into: list[EncodedPacket]) -> None:
        self._inner = inner
        self._into = into

    async def open(self) -> StreamInfo:
        return await self._inner.open()

    async def packets(self) -> AsyncIterator[EncodedPacket]:
        async for packet in self._inner.packets():
            self._into.append(packet)
            yield packet

    async def close(self) -> None:
        await self._inner.close()


@contextlib.asynccontextmanager
async def relay_hub(
    camera_url: str, transport: str, forwarded: list[EncodedPacket], rendition: str = "main"
) -> AsyncIterator[tuple[str, VideoRegistry]]:
    settings = VideoSettings.model_validate(
        {
            "cameras": {"cam-rtsp": {"url": camera_url, "rtsp_transport": transport}},
            "renditions": [rendition],
            "prebuffer_rendition": None,
        }
    )

    def upstream(camera_id: str, rendition: str) -> Upstream:
        inner: Upstream = (
            EdgeUpstream(camera_url, camera_id, rendition, TOKEN)
            if camera_url.startswith("http")
            else CameraUpstream(camera_url, transport=transport)
        )
        return RecordingUpstream(inner, forwarded)

    registry = VideoRegistry(settings, make_upstream=upstream)
    app = FastAPI()
    app.include_router(video_router(registry, bearer_token_auth(TOKEN)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, 10, "uvicorn started")
    try:
        yield f"http://127.0.0.1:{port}", registry
    finally:
        await registry.stop()
        server.should_exit = True
        await serving


async def test_rtsp_h264_reaches_a_viewer_as_the_camera_encoded_it(
    rtsp: RtspServer, clips: dict[str, Path]
) -> None:
    transport = "tcp"  # UDP: the box's pass-through below
    forwarded: list[EncodedPacket] = []
    async with (
        relay_hub(rtsp.url("/h264"), transport, forwarded) as (url, registry),
        httpx.AsyncClient(timeout=10) as client,
    ):
        viewer = WhepViewer(f"{url}/video/cam-rtsp/whep", TOKEN)
        await viewer.start(client)
        await viewer.wait_frames(8, timeout_s=20)
        assert viewer.resolution_wh == (640, 360)
        relay = registry.relay("cam-rtsp", "main")
        assert relay.info is not None and relay.info.codec == "h264"
        await viewer.close(client)
    # every picture the relay sent on is byte for byte one the camera's encoder made
    clip_units = set(vcl_units(clips["h264"].read_bytes()))
    sent = [u for p in forwarded for u in vcl_units(p.data)]
    assert_passed_through(sent, clip_units)
    assert registry.encoders == 0


async def test_rtsp_h265_is_refused_by_the_relay_with_its_reason(rtsp: RtspServer) -> None:
    async with relay_hub(rtsp.url("/h265"), "tcp", []) as (_url, registry):
        with pytest.raises(VideoError) as refused:
            await registry.info("cam-rtsp", "main")  # what a WHEP offer for it meets first
    assert refused.value.status == 502
    assert "codec 'hevc'; only H.264 passes through" in str(refused.value)


async def test_rtsp_h265_is_decoded_on_the_box_and_served_as_vp8(rtsp: RtspServer) -> None:
    tap = FrameTap()
    source = RtspSource(rtsp.url("/h265"), timeout_s=5)
    capture = CaptureWorker("cam-h265", source, None, tap, offline_after_s=5, reconnect_max_s=1)
    box = EdgeVideoServer(EdgeVideoSettings(port=0, idle_stop_s=0.5), tap, TOKEN)
    await box.start()
    capture.start()
    upstream = EdgeUpstream(f"http://127.0.0.1:{box.port}", "cam-h265", "sub", TOKEN)
    try:
        info = await upstream.open()
        packets: list[EncodedPacket] = []
        async with asyncio.timeout(20):
            async for packet in upstream.packets():
                packets.append(packet)
                if len(packets) >= 6:
                    break
    finally:
        await upstream.close()
        await box.stop()
        await asyncio.to_thread(capture.stop)
    assert source.codec == "hevc"
    assert (info.codec, info.resolution_wh) == ("vp8", (320, 180))
    assert packets[0].keyframe
    assert capture.state == "online" and capture.resolution_wh == (640, 360)


async def test_rtsp_h264_is_passed_on_by_the_box_without_an_encoder(
    rtsp: RtspServer, clips: dict[str, Path]
) -> None:
    frames, packets = FrameTap(), PacketTap()
    source = RtspSource(
        rtsp.url("/h264"), transport="udp", timeout_s=5, packets=(packets, "cam-rtsp")
    )
    capture = CaptureWorker("cam-rtsp", source, None, frames, offline_after_s=5, reconnect_max_s=1)
    box = EdgeVideoServer(EdgeVideoSettings(port=0, idle_stop_s=0.5), frames, TOKEN, packets)
    await box.start()
    capture.start()
    forwarded: list[EncodedPacket] = []
    try:
        await wait_until(lambda: packets.latest("cam-rtsp") is not None, 20, "camera packets")
        async with (
            relay_hub(f"http://127.0.0.1:{box.port}", "tcp", forwarded, "camera") as (url, _hub),
            httpx.AsyncClient(timeout=10) as client,
        ):
            viewer = WhepViewer(f"{url}/video/cam-rtsp/whep?rendition=camera", TOKEN)
            await viewer.start(client)
            await viewer.wait_frames(8, timeout_s=20)
            assert viewer.resolution_wh == (640, 360)
            assert box.encoders_running == 0 and live_encoders() == 0
            await viewer.close(client)
        # an H.265 camera (or a synthetic one) has nothing to pass: refused with the reason
        synthetic = EdgeUpstream(f"http://127.0.0.1:{box.port}", "cam-synth", "camera", TOKEN)
        with pytest.raises(UpstreamError, match=r"sends no H\.264 of its own"):
            await synthetic.open()
        await synthetic.close()
    finally:
        await box.stop()
        await asyncio.to_thread(capture.stop)
    clip_units = set(vcl_units(clips["h264"].read_bytes()))
    sent = [u for p in forwarded for u in vcl_units(p.data)]
    assert_passed_through(sent, clip_units)
    assert forwarded[0].keyframe

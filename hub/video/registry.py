"""Every relay and every viewer's peer connection of one hub process, opened and closed here.

`VideoRegistry.start()` starts the relays that feed pre-event buffers; `stop()` closes every
peer connection and relay. `encoders` / `upstreams_running` are what tests and metrics read:
the hub opens no video encoder for a viewer (it counts any that a sender opened), and runs at
most one upstream per camera × rendition.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from hub.video.relay import CameraRelay, Viewer
from hub.video.ring import PacketRing
from hub.video.settings import VideoSettings
from hub.video.track import PacketTrack
from hub.video.upstream import CameraUpstream, EdgeUpstream, StreamInfo, Upstream

log = logging.getLogger(__name__)
UpstreamFactory = Callable[[str, str], Upstream]


class VideoError(Exception):
    """A request the relay cannot serve; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Session:
    id: str
    camera_id: str
    rendition: str
    pc: RTCPeerConnection
    viewer: Viewer


def sender_encodes(sender: RTCRtpSender) -> bool:
    """Whether aiortc opened a video encoder for this sender (it encoded a decoded frame).
    aiortc keeps the encoder private; a sender without one has encoded nothing."""
    encoder = getattr(sender, "_RTCRtpSender__encoder", None)
    return getattr(encoder, "codec", None) is not None


class VideoRegistry:
    def __init__(
        self,
        settings: VideoSettings,
        edge_token: str = "",
        env: dict[str, str] | None = None,
        make_upstream: UpstreamFactory | None = None,
    ) -> None:
        self.settings = settings
        self._edge_token = edge_token
        self._env = env or {}
        self._make_upstream = make_upstream or self._default_upstream
        self._relays: dict[tuple[str, str], CameraRelay] = {}
        self.sessions: dict[str, Session] = {}
        self.rings: dict[str, PacketRing] = {}
        self._closing: set[asyncio.Future[bool]] = set()

    @property
    def edge_token(self) -> str:
        """What the hub presents to edge boxes (live video, recordings)."""
        return self._edge_token

    # -- what tests and metrics read
    @property
    def encoders(self) -> int:
        """Video encoders open in this process for live viewers: the peer connections'
        senders whose encoder has a codec context, which aiortc opens only when a track
        hands it decoded frames. The relay hands it the camera's packets (only packed for
        RTP), so this stays 0 unless pass-through broke. MJPEG and snapshot.jpg encode JPEG
        pictures per request and are not counted."""
        return sum(
            1 for s in self.sessions.values() for x in s.pc.getSenders() if sender_encodes(x)
        )

    @property
    def upstreams_running(self) -> int:
        return sum(1 for r in self._relays.values() if r.running)

    def relay_stats(self) -> list[dict[str, object]]:
        return [
            {
                "camera_id": r.camera_id,
                "rendition": r.rendition,
                "running": r.running,
                "viewers": r.viewers,
                "packets_in": r.packets_in,
                "viewers_dropped": r.viewers_dropped,
                "upstream_starts": r.upstream_starts,
            }
            for r in self._relays.values()
        ]

    def relay(self, camera_id: str, rendition: str) -> CameraRelay:
        key = (camera_id, rendition)
        if camera_id not in self.settings.cameras:
            raise VideoError(404, f"camera {camera_id!r} has no video configured")
        if not self.settings.rendition_known(rendition):
            raise VideoError(
                404, f"rendition {rendition!r} is not one of {self.settings.renditions}"
            )
        if key not in self._relays:
            s = self.settings
            prebuffer = s.prebuffers(camera_id, rendition)
            ring = PacketRing(s.prebuffer_s) if prebuffer else None
            if ring is not None:
                self.rings[camera_id] = ring
            self._relays[key] = CameraRelay(
                camera_id,
                rendition,
                lambda: self._make_upstream(camera_id, rendition),
                keep_running=prebuffer,
                idle_stop_s=s.idle_stop_s,
                queue_packets=s.viewer_queue_packets,
                stall_drop_s=s.stall_drop_s,
                ring=ring,
            )
        return self._relays[key]

    def _default_upstream(self, camera_id: str, rendition: str) -> Upstream:
        camera = self.settings.cameras[camera_id]
        url = camera.url
        if url.startswith(("http://", "https://")):
            return EdgeUpstream(url, camera_id, rendition, self._edge_token)
        return CameraUpstream(url, transport=camera.rtsp_transport)

    # -- lifecycle
    async def start(self) -> None:
        """Start the relays that feed pre-event buffers (failures are logged, retried on use)."""
        pre = self.settings.prebuffer_rendition
        if pre is None or not self.settings.rendition_known(pre):
            return
        for camera_id in self.settings.cameras:
            if not self.settings.prebuffers(camera_id, pre):
                continue  # pulled only while watched
            relay = self.relay(camera_id, pre)
            with contextlib.suppress(Exception):
                await relay.ensure_running()

    async def stop(self) -> None:
        await asyncio.gather(*(self.close_session(sid) for sid in list(self.sessions)))
        await asyncio.gather(*(r.stop() for r in self._relays.values()))

    async def info(self, camera_id: str, rendition: str) -> StreamInfo:
        try:
            return await self.relay(camera_id, rendition).ensure_running()
        except VideoError:
            raise
        except Exception as exc:
            raise VideoError(502, f"camera {camera_id!r} video unavailable: {exc}") from exc

    # -- WHEP sessions
    def _ice(self) -> RTCConfiguration:
        servers = [
            RTCIceServer(urls=s.urls, username=s.username, credential=s.credential(self._env))
            for s in self.settings.ice_servers
        ]
        return RTCConfiguration(iceServers=servers)

    async def open_session(self, camera_id: str, rendition: str, offer_sdp: str) -> tuple[str, str]:
        """Answer a viewer's SDP offer; returns (session id, answer SDP)."""
        if "m=video" not in offer_sdp:
            raise VideoError(400, "the SDP offer has no video media section (m=video)")
        if len(self.sessions) >= self.settings.max_viewers:
            raise VideoError(503, f"{len(self.sessions)} viewers already: max_viewers reached")
        relay = self.relay(camera_id, rendition)
        info = await self.info(camera_id, rendition)
        session_id = uuid.uuid4().hex
        pc = RTCPeerConnection(self._ice())
        viewer = relay.add_viewer(on_drop=lambda: self._close_later(session_id))
        session = Session(session_id, camera_id, rendition, pc, viewer)
        self.sessions[session_id] = session

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close_session(session_id)

        try:
            transceiver = pc.addTransceiver(PacketTrack(viewer), direction="sendonly")
            mime = f"video/{info.codec}".lower()
            codecs = [
                c
                for c in RTCRtpSender.getCapabilities("video").codecs
                if c.mimeType.lower() in (mime, "video/rtx")
            ]
            transceiver.setCodecPreferences(codecs)
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
        except Exception as exc:
            await self.close_session(session_id)
            raise VideoError(400, f"cannot answer the offer: {exc}") from exc
        if f"{info.codec.upper()}/90000" not in pc.localDescription.sdp.upper():
            await self.close_session(session_id)
            raise VideoError(400, f"the viewer does not offer {info.codec}, the camera's codec")
        return session_id, pc.localDescription.sdp

    def _close_later(self, session_id: str) -> None:
        task = asyncio.ensure_future(self.close_session(session_id))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close_session(self, session_id: str) -> bool:
        session = self.sessions.pop(session_id, None)
        if session is None:
            return False
        self.relay(session.camera_id, session.rendition).remove_viewer(session.viewer)
        await session.pc.close()
        return True

"""The agent's hook: start the recorder for the box's cameras and hand its routes to the
box's video server, which serves them to the hub.

Recording needs that server (``GRIDWALL_EDGE_VIDEO``): the hub reaches recordings the way
it reaches live video. An RTSP camera is recorded from its own H.264 packets (one that turns
out to send H.265, from the box's rendition when the box encodes H.264); any other camera
from the box's encoded rendition, which must then be H.264.
"""

from __future__ import annotations

from functools import partial

from contracts.cameras import Camera, UrlStream
from edge.packet_tap import PacketTap
from edge.recording.feeds import PacketFeed, RenditionFeed, RtspFeed
from edge.recording.http import RecordingRoutes
from edge.recording.recorder import Recorder
from edge.recording.settings import RecordingSettings
from edge.video.service import VideoService


def own_h264(camera: Camera) -> bool:
    """Whether the camera's main stream is RTSP, whose H.264 packets the box receives."""
    main = camera.stream.main
    return isinstance(main, UrlStream) and main.kind == "rtsp"


def start_recording(
    settings: RecordingSettings,
    cameras: list[Camera],
    packets: PacketTap,
    video: VideoService | None,
) -> Recorder:
    """Raises ValueError naming what is missing; nothing is started then."""
    if video is None:
        raise ValueError(
            "recording: needs the box's video server (GRIDWALL_EDGE_VIDEO), which serves "
            "the recordings to the hub"
        )
    server = video.server
    chosen = [c for c in cameras if settings.cameras is None or c.camera_id in settings.cameras]
    encoded = [c.camera_id for c in chosen if not own_h264(c)]
    if encoded and server.settings.codec != "h264":
        raise ValueError(
            f"recording: cameras {encoded} send no H.264 of their own and are recorded from "
            f"the box's rendition {settings.rendition!r}: set video codec h264 "
            f"(it is {server.settings.codec!r})"
        )
    if encoded and settings.rendition not in server.settings.renditions:
        raise ValueError(
            f"recording.rendition {settings.rendition!r} is not one of the box's renditions "
            f"{sorted(server.settings.renditions)}"
        )
    can_encode = (
        server.settings.codec == "h264" and settings.rendition in server.settings.renditions
    )

    def rendition(camera_id: str) -> RenditionFeed:
        return RenditionFeed(server, video.loop, camera_id, settings.rendition)

    feeds: dict[str, PacketFeed] = {}
    for cam in chosen:
        cid = cam.camera_id
        if own_h264(cam):  # an H.265 one falls back to the rendition, when the box has it
            feeds[cid] = RtspFeed(packets, cid, partial(rendition, cid) if can_encode else None)
        else:
            feeds[cid] = rendition(cid)
    recorder = Recorder(settings, feeds).start()
    server.recordings = RecordingRoutes(recorder)
    return recorder

"""An aiortc track that hands already-encoded packets to its sender.

aiortc's sender packetizes an `av.Packet` as it is instead of encoding a frame, so each
viewer costs RTP packetization and SRTP only; the encoding happened once, upstream.
"""

from __future__ import annotations

import fractions
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from contracts.video_wire import CLOCK_RATE_HZ
from hub.video.relay import Viewer

TIME_BASE = fractions.Fraction(1, CLOCK_RATE_HZ)


class PacketTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, viewer: Viewer) -> None:
        super().__init__()
        self.viewer = viewer

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self.viewer.queue.get()
        if packet is None:
            self.stop()
            raise MediaStreamError
        out = av.Packet(packet.data)
        out.pts = packet.pts
        out.time_base = TIME_BASE
        return out

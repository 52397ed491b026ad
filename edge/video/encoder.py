"""One encoder for one rendition of one camera: BGR frames in, wire packets out.

VP8 (libvpx, realtime) plays in every browser's WebRTC; H.264 (libx264 ultrafast, zerolatency,
Annex B) is for viewers that want it. A keyframe every ``keyframe_interval_s`` lets a new
viewer start within that delay; ``request_keyframe`` shortens it to the next frame.
"""

from __future__ import annotations

import fractions
import itertools
import threading
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt

from contracts.video_wire import CLOCK_RATE_HZ, CODECS, EncodedPacket

_LIVE = itertools.count()
_live_lock = threading.Lock()
_live_encoders = 0


def live_encoders() -> int:
    """How many encoders exist in this process right now (opened, not yet closed)."""
    with _live_lock:
        return _live_encoders


def _count(delta: int) -> None:
    global _live_encoders
    with _live_lock:
        _live_encoders += delta


class FrameEncoder:
    """Encode frames of one size at one rate; not thread-safe (one owner thread)."""

    def __init__(
        self,
        codec: str,
        resolution_wh: tuple[int, int],
        fps: float,
        bitrate_bps: int,
        keyframe_interval_s: float = 1.0,
    ) -> None:
        if codec not in CODECS:
            raise ValueError(f"codec must be one of {CODECS}, got {codec!r}")
        width, height = resolution_wh
        if width % 2 or height % 2 or width < 16 or height < 16:
            raise ValueError(f"resolution_wh must be even and at least 16x16, got {resolution_wh}")
        self.codec_name = codec
        self.resolution_wh = resolution_wh
        self._keyframe_every = max(1, round(keyframe_interval_s * fps))
        self._index = 0
        self._sequence = 0
        self._force = False
        rate = fractions.Fraction(fps).limit_denominator(1000)
        ctx = av.CodecContext.create("libvpx" if codec == "vp8" else "libx264", "w")
        assert isinstance(ctx, av.VideoCodecContext)
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = 1 / rate
        ctx.framerate = rate
        ctx.bit_rate = bitrate_bps
        ctx.gop_size = 10 * self._keyframe_every  # keyframes come from us, not the encoder
        ctx.thread_count = 1
        if codec == "vp8":
            ctx.options = {
                "deadline": "realtime",
                "cpu-used": "8",
                "lag-in-frames": "0",
                "error-resilient": "1",
            }
        else:
            ctx.options = {"preset": "ultrafast", "tune": "zerolatency", "bf": "0"}
            ctx.profile = "Constrained Baseline"
        self._ctx = ctx
        self._closed = False
        _count(+1)

    def request_keyframe(self) -> None:
        self._force = True

    def encode(self, image_bgr: npt.NDArray[np.uint8], captured_ms: int) -> list[EncodedPacket]:
        """Encode one frame (resized to this rendition when it differs)."""
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
            raise ValueError(f"expected a BGR image (H, W, 3), got shape {image_bgr.shape}")
        width, height = self.resolution_wh
        if image_bgr.shape[1] != width or image_bgr.shape[0] != height:
            image_bgr = cv2.resize(image_bgr, (width, height), interpolation=cv2.INTER_AREA)  # type: ignore[assignment]
        frame = av.VideoFrame.from_ndarray(image_bgr, format="bgr24").reformat(format="yuv420p")
        frame.pts = self._index
        if self._force or self._index % self._keyframe_every == 0:
            frame.pict_type = av.video.frame.PictureType.I
            self._force = False
        self._index += 1
        return [self._wrap(p, captured_ms) for p in self._ctx.encode(frame)]

    def _wrap(self, packet: av.Packet[Any], captured_ms: int) -> EncodedPacket:
        self._sequence += 1
        return EncodedPacket(
            data=bytes(packet),
            pts=captured_ms * (CLOCK_RATE_HZ // 1000),
            captured_ms=captured_ms,
            keyframe=bool(packet.is_keyframe),
            sequence=self._sequence,
        )

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _count(-1)

"""Packets to pictures and files: JPEG snapshots and clips, without re-encoding the video.

A clip is the buffered packets muxed as they are (VP8 into WebM, H.264 into MPEG-TS); a snapshot
decodes from the last keyframe to the newest picture and compresses that one picture to JPEG.
"""

from __future__ import annotations

import fractions
import io
from collections.abc import Sequence
from typing import Any

import av
import cv2

from contracts.video_wire import CLOCK_RATE_HZ, EncodedPacket

TIME_BASE = fractions.Fraction(1, CLOCK_RATE_HZ)
CLIP_FORMATS = {"vp8": ("webm", "video/webm", "libvpx"), "h264": ("mpegts", "video/mp2t", "h264")}


class MediaError(ValueError):
    """Packets that cannot be made into the asked-for file."""


def decoder_for(codec: str) -> av.VideoCodecContext:
    ctx = av.CodecContext.create("vp8" if codec == "vp8" else "h264", "r")
    assert isinstance(ctx, av.VideoCodecContext)
    ctx.thread_count = 1
    return ctx


def to_av_packet(packet: EncodedPacket) -> av.Packet[Any]:
    out = av.Packet(packet.data)
    out.pts = out.dts = packet.pts
    out.time_base = TIME_BASE
    return out


def jpeg_of_last(codec: str, gop: Sequence[EncodedPacket], quality: int = 80) -> bytes:
    """JPEG of the newest picture of a group of pictures that starts at a keyframe."""
    if not gop or not gop[0].keyframe:
        raise MediaError("no keyframe buffered yet: the camera has not sent a picture")
    ctx = decoder_for(codec)
    last = None
    for packet in gop:
        for frame in ctx.decode(to_av_packet(packet)):
            last = frame
    if last is None:
        raise MediaError(f"{len(gop)} packets decoded to no picture")
    return encode_jpeg(last, quality)


def encode_jpeg(frame: av.VideoFrame, quality: int = 80) -> bytes:
    ok, buf = cv2.imencode(
        ".jpg", frame.to_ndarray(format="bgr24"), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise MediaError("JPEG encoding failed")
    return bytes(buf)


def mux_clip(codec: str, resolution_wh: tuple[int, int], packets: Sequence[EncodedPacket]) -> bytes:
    """The packets as one playable file (WebM for VP8, MPEG-TS for H.264), timestamps kept."""
    if not packets or not packets[0].keyframe:
        raise MediaError("a clip must start at a keyframe; none is buffered in that window")
    fmt, _, codec_name = CLIP_FORMATS[codec]
    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        stream = container.add_stream(codec_name, rate=30)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = resolution_wh
        stream.time_base = fractions.Fraction(1, 1000)
        first_ms = packets[0].captured_ms
        last_ms = -1
        for packet in packets:
            ms = max(packet.captured_ms - first_ms, last_ms + 1)  # strictly increasing
            last_ms = ms
            av_packet = av.Packet(packet.data)
            av_packet.pts = av_packet.dts = ms
            av_packet.time_base = stream.time_base
            av_packet.stream = stream
            if packet.keyframe:
                av_packet.is_keyframe = True
            container.mux(av_packet)
    return out.getvalue()

"""One segment file: H.264 access units remuxed into fragmented MP4, never decoded or encoded.

The output stream is made from a template: the segment's first keyframe (Annex B, parameter
sets in-band, as cameras and the box's x264 send them) parsed by FFmpeg's raw H.264 demuxer,
so the muxer gets the codec parameters without any codec being opened. Fragments start at
each keyframe (``frag_keyframe+empty_moov+default_base_moof``): a browser plays the file
while it grows, and a box that loses power keeps everything up to the last keyframe.
Timestamps are milliseconds from the segment's start, from the camera's own 90 kHz clock.
"""

from __future__ import annotations

import fractions
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error

MS = fractions.Fraction(1, 1000)
FRAGMENTED = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
DRIFT_MS = 5000  # camera clock against arrival time beyond which a new segment starts


class RecordingError(Exception):
    """Packets that cannot be recorded (no parameter sets, not H.264); names the reason."""


@dataclass(frozen=True, slots=True)
class RecPacket:
    """One H.264 access unit as the recorder gets it."""

    data: bytes  # Annex B
    keyframe: bool
    pts_90k: int  # the camera's (or the box encoder's) presentation time
    captured_ms: int  # Unix ms when the box had it
    parameter_sets: bytes = b""  # SPS/PPS from the session (Annex B), for the template only


def template_of(keyframe: bytes) -> tuple[Any, Any]:
    """(container, stream) of FFmpeg's raw H.264 demuxer over one keyframe: the codec
    parameters (size, profile, SPS/PPS as extradata) for the muxer to copy."""
    try:
        container = av.open(io.BytesIO(keyframe), format="h264")
    except av.error.FFmpegError as exc:
        raise RecordingError(f"keyframe not parseable as H.264: {exc}") from None
    streams = container.streams.video
    if not streams or not streams[0].width or not streams[0].codec_context.extradata:
        container.close()
        raise RecordingError(
            "neither the keyframe nor the camera's session description carries SPS/PPS, "
            "so its segment cannot be written"
        )
    return container, streams[0]


class SegmentWriter:
    """Write one segment; owned by one recorder thread."""

    def __init__(self, path: Path, first: RecPacket) -> None:
        if not first.keyframe:
            raise RecordingError("a segment must start at a keyframe")
        self.path = path
        self.start_ms = first.captured_ms
        self.packets = 0
        self._first_pts = first.pts_90k
        self._last_ms = -1
        self._gap_ms = 100
        # a camera that sends its parameter sets only in the session description: they make
        # the template (the muxer's avcC); the packets written stay the camera's own
        self._template, stream = template_of(first.parameter_sets + first.data)
        self.resolution_wh = (int(stream.width), int(stream.height))
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out: Any = av.open(str(path), mode="w", format="mp4", options=FRAGMENTED)
        self._stream = self._out.add_stream_from_template(stream)
        self._stream.time_base = MS
        self.write(first)

    @property
    def encoder_opened(self) -> bool:
        """Whether a codec was ever opened on the output (it must not be: remux only)."""
        return bool(self._stream.codec_context.is_open)

    @property
    def end_ms(self) -> int:
        return self.start_ms + max(0, self._last_ms) + self._gap_ms

    def fits(self, packet: RecPacket) -> bool:
        """False when the packet's clock jumped (a camera restart): it needs a new segment."""
        rel = (packet.pts_90k - self._first_pts) // 90
        arrived = packet.captured_ms - self.start_ms
        return rel > self._last_ms - 1000 and abs(rel - arrived) < DRIFT_MS

    def write(self, packet: RecPacket) -> None:
        rel = max((packet.pts_90k - self._first_pts) // 90, self._last_ms + 1)
        if self._last_ms >= 0:
            self._gap_ms = max(1, min(1000, rel - self._last_ms))
        self._last_ms = rel
        av_packet = av.Packet(packet.data)
        av_packet.pts = av_packet.dts = rel
        av_packet.time_base = MS
        av_packet.stream = self._stream
        if packet.keyframe:
            av_packet.is_keyframe = True
        self._out.mux(av_packet)
        self.packets += 1

    def size_bytes(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def close(self) -> None:
        try:
            self._out.close()
        finally:
            self._template.close()

"""A clip of [t0, t1] cut from the segments by remuxing: starts at the keyframe at or before
t0 (a picture cannot be decoded without it), ends with the last packet at or before t1.

Nothing is decoded or encoded: the segments' packets (already length-prefixed, with the
first segment's parameter sets as the template) go into one plain MP4 with the index at
the front (``faststart``), which every player seeks in.
"""

from __future__ import annotations

import fractions
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error

from edge.recording.index import Segment
from edge.recording.segment import RecordingError

MS = fractions.Fraction(1, 1000)


@dataclass(frozen=True, slots=True)
class Clip:
    """What a written clip covers."""

    first_ms: int  # Unix ms of its first picture (a keyframe at or before the asked start)
    last_ms: int
    packets: int
    size_bytes: int


def _packets(root: Path, seg: Segment) -> Iterator[tuple[int, Any, Any]]:
    """(Unix ms, packet, input stream) of one segment, stopping quietly at a torn tail (the
    segment being written, or one a power cut ended)."""
    try:
        container = av.open(str(root / seg.path))
    except (av.error.FFmpegError, OSError):
        return
    try:
        stream = container.streams.video[0]
        base = stream.time_base or MS
        demux = container.demux(stream)
        while True:
            try:
                packet = next(demux)
            except (StopIteration, av.error.FFmpegError):
                return
            if packet.size == 0 or packet.pts is None:
                continue
            yield seg.info.start_ms + int(packet.pts * base * 1000), packet, stream
    finally:
        container.close()


def export_clip(
    root: Path, segments: Sequence[Segment], start_ms: int, end_ms: int, out_path: Path
) -> Clip:
    """Write the clip to ``out_path`` (removed again when nothing is recorded in the window);
    ``segments``: those overlapping the window, oldest first."""
    if end_ms <= start_ms:
        raise RecordingError(f"clip window {start_ms}..{end_ms} is empty")
    with _ClipWriter(out_path) as writer:
        gop: list[tuple[int, bytes, bool]] = []  # from the last keyframe at or before t0
        for ms, packet, stream in _window(root, segments, end_ms):
            item = (ms, bytes(packet), bool(packet.is_keyframe))
            if ms <= start_ms:
                gop = [item] if item[2] else ([*gop, item] if gop else [])
                writer.template(stream)
                continue
            if not writer.packets:
                writer.template(stream)
                for held in gop:
                    writer.write(*held)
                if not writer.packets and not item[2]:
                    continue  # nothing to start from until the next keyframe
            writer.write(*item)
    if not writer.packets:
        out_path.unlink(missing_ok=True)
        raise RecordingError(f"nothing recorded in {start_ms}..{end_ms}")
    return Clip(writer.first_ms, writer.last_ms, writer.packets, out_path.stat().st_size)


def _window(root: Path, segments: Sequence[Segment], end_ms: int) -> Iterator[tuple[int, Any, Any]]:
    for seg in segments:
        for ms, packet, stream in _packets(root, seg):
            if ms > end_ms:
                return
            yield ms, packet, stream


class _ClipWriter:
    """The output MP4, opened at the first packet kept (its stream is the template)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.packets = 0
        self.first_ms = self.last_ms = 0
        self._out: Any = None
        self._stream: Any = None
        self._src: Any = None
        self._last_rel = -1

    def __enter__(self) -> _ClipWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._out is not None:
            self._out.close()

    def template(self, stream: Any) -> None:
        """Take ``stream``'s codec parameters while nothing is written yet."""
        if stream is self._src or self.packets:
            return
        self._src = stream
        if self._out is not None:
            self._out.close()
        self._out = av.open(
            str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"}
        )
        self._stream = self._out.add_stream_from_template(stream)
        self._stream.time_base = MS

    def write(self, ms: int, data: bytes, key: bool) -> None:
        if self.packets == 0:
            self.first_ms = ms
        rel = max(ms - self.first_ms, self._last_rel + 1)
        self._last_rel = rel
        p = av.Packet(data)
        p.pts = p.dts = rel
        p.time_base = MS
        p.stream = self._stream
        if key:
            p.is_keyframe = True
        self._out.mux(p)
        self.packets += 1
        self.last_ms = ms

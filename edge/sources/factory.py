"""Build a source from a camera's stream settings."""

from __future__ import annotations

from pathlib import Path

from contracts.cameras import (
    ImageFolderStream,
    StreamSettings,
    SyntheticStream,
    UrlStream,
    UsbStream,
)
from edge.packet_tap import PacketTap
from edge.sources.base import FrameSource
from edge.sources.folder import ImageFolderSource
from edge.sources.opencv import OpenCvSource
from edge.sources.rtsp import RtspSource
from edge.sources.synthetic import SyntheticSource


def make_source(
    stream: StreamSettings,
    base: Path | None = None,
    which: str = "main",
    timeout_s: float = 5.0,
    packets: tuple[PacketTap, str] | None = None,
) -> FrameSource:
    """The main (viewing) or sub (detection) stream's source; relative file and folder
    paths resolve against ``base``. A synthetic sub stream renders at the detect size.
    ``timeout_s`` bounds a network camera's open and reads; an RTSP camera publishes its
    H.264 packets to ``packets`` (tap, camera id) when given."""
    src = stream.sub if which == "sub" and stream.sub is not None else stream.main
    if isinstance(src, SyntheticStream):
        wh = stream.detect_resolution_wh if src is stream.sub else stream.resolution_wh
        return SyntheticSource(src, wh, stream.fps)
    if isinstance(src, UrlStream):
        if src.kind == "file":
            path = Path(src.url)
            if base is not None and not path.is_absolute():
                path = base / path
            return OpenCvSource(str(path), fps=stream.fps, is_file=True, loop=src.loop)
        if src.kind == "rtsp":
            return RtspSource(
                src.url, transport=src.transport, timeout_s=timeout_s, packets=packets
            )
        return OpenCvSource(src.url, fps=stream.fps, timeout_ms=round(timeout_s * 1000))
    if isinstance(src, UsbStream):
        return OpenCvSource(src.device, fps=stream.fps)
    if isinstance(src, ImageFolderStream):
        path = Path(src.path)
        if base is not None and not path.is_absolute():
            path = base / path
        return ImageFolderSource(path, fps=stream.fps, loop=src.loop)
    raise TypeError(f"unknown stream kind {type(src).__name__}")

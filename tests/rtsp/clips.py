"""Test clips for the RTSP server, made at test time from the synthetic scenes.

A scene is rendered once (``render``) and may be encoded several times (``write_clip``).
Each clip is an Annex B elementary stream (H.264 by x264, H.265 by x265, through PyAV) with
its parameter sets in-band, so the server can loop it and a client can start on any keyframe.
``garbled`` keeps a clip's start codes and NAL headers but overwrites the payload after some
frames: what a camera with a broken encoder or a corrupted link sends.
"""

from __future__ import annotations

import fractions
import random
import re
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from edge.synth import SceneScript, SyntheticScene

ENCODERS = {"h264": "libx264", "h265": "libx265"}
_START = re.compile(b"\x00\x00\x01")


def render(
    script: dict[str, Any] | None = None,
    *,
    preset: str = "construction_site",
    resolution_wh: tuple[int, int] = (640, 360),
    fps: int = 5,
    seconds: float = 3.0,
    seed: int = 3,
) -> list[npt.NDArray[np.uint8]]:
    """The pictures of a synthetic scene (a preset, or an inline script), BGR."""
    scene_script = SceneScript.from_dict(script) if script else SceneScript.preset(preset)
    scene = SyntheticScene(scene_script, resolution_wh, fps, seed)
    return [scene.next_frame().image for _ in range(round(seconds * fps))]


def write_clip(
    path: Path,
    codec: str,
    pictures: list[npt.NDArray[np.uint8]],
    *,
    fps: int = 5,
    keyframe_every: int = 5,
    bitrate_bps: int = 600_000,
) -> list[bytes]:
    """Encode pictures (all one size) to an Annex B file; returns its access units."""
    height, width = pictures[0].shape[:2]
    ctx = av.CodecContext.create(ENCODERS[codec], "w")
    assert isinstance(ctx, av.VideoCodecContext)
    ctx.width, ctx.height = width, height
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = fractions.Fraction(1, fps)
    ctx.framerate = fractions.Fraction(fps)
    ctx.bit_rate = bitrate_bps
    ctx.thread_count = 1
    if codec == "h264":
        ctx.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "bf": "0",
            "x264-params": "repeat-headers=1",  # SPS/PPS at every keyframe, as cameras send
        }
        ctx.gop_size = keyframe_every
    else:
        params = f"keyint={keyframe_every}:min-keyint={keyframe_every}:bframes=0"
        ctx.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "x265-params": f"{params}:repeat-headers=1:log-level=error",
        }
    units: list[bytes] = []
    for i, picture in enumerate(pictures):
        frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
        frame.pts = i
        units += [bytes(p) for p in ctx.encode(frame)]
    units += [bytes(p) for p in ctx.encode(None)]
    path.write_bytes(b"".join(units))
    return units


def garbled(units: list[bytes], good_frames: int, seed: int = 7) -> list[bytes]:
    """The first ``good_frames`` access units as they are, then each NAL unit's payload
    replaced by random bytes (start codes and the NAL header kept)."""
    rng = random.Random(seed)
    out = list(units[:good_frames])
    for unit in units[good_frames:]:
        pieces = _START.split(unit)
        noisy = [pieces[0]] + [
            p[:2] + bytes(rng.randrange(1, 256) for _ in range(len(p) - 2)) for p in pieces[1:]
        ]
        out.append(b"\x00\x00\x01".join(noisy))
    return out

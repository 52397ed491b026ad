"""A recorded hour, made in about a second: a short real H.264 stream (a synthetic street
scene encoded once by x264, keyframe every second, parameter sets in-band as cameras send
them) handed to the real recorder over and over with shifted timestamps, as if the camera
had sent it for an hour. The segments, the index and the files are the recorder's own."""

from __future__ import annotations

import fractions
from dataclasses import dataclass

import av
import numpy as np

from edge.recording.recorder import Recorder
from edge.recording.segment import RecPacket
from edge.synth import SceneScript, SyntheticScene

FPS = 5
LOOP_S = 10


@dataclass(frozen=True)
class Access:
    data: bytes
    keyframe: bool


def encoded_loop(resolution_wh: tuple[int, int] = (320, 180)) -> list[Access]:
    """``LOOP_S`` seconds of a street scene, encoded once; starts at a keyframe."""
    width, height = resolution_wh
    scene = SyntheticScene(SceneScript.preset("street_corner"), resolution_wh, FPS, seed=4)
    ctx = av.CodecContext.create("libx264", "w")
    assert isinstance(ctx, av.VideoCodecContext)
    ctx.width, ctx.height = width, height
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = fractions.Fraction(1, FPS)
    ctx.framerate = fractions.Fraction(FPS)
    ctx.bit_rate = 120_000
    ctx.gop_size = FPS
    ctx.thread_count = 1
    ctx.options = {"preset": "ultrafast", "tune": "zerolatency", "bf": "0"}
    out: list[Access] = []
    for i in range(LOOP_S * FPS):
        image = np.ascontiguousarray(scene.next_frame().image)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts = i
        if i % FPS == 0:
            frame.pict_type = av.video.frame.PictureType.I
        out += [Access(bytes(p), bool(p.is_keyframe)) for p in ctx.encode(frame)]
    out += [Access(bytes(p), bool(p.is_keyframe)) for p in ctx.encode(None)]
    assert out[0].keyframe and len(out) == LOOP_S * FPS
    return out


def record_span(
    recorder: Recorder, camera_id: str, loop: list[Access], start_ms: int, minutes: float
) -> int:
    """Feed ``minutes`` of the loop from ``start_ms`` to the camera's recorder; the last
    segment is ended. Returns the end time (Unix ms)."""
    cam = recorder.cameras[camera_id]
    step_ms = 1000 // FPS
    frames = round(minutes * 60 * FPS)
    for i in range(frames):
        unit = loop[i % len(loop)]
        t_ms = start_ms + i * step_ms
        cam.handle(RecPacket(unit.data, unit.keyframe, t_ms * 90, t_ms))
    cam.end_segment()
    return start_ms + frames * step_ms


class IdleFeed:
    """A feed that gives nothing (the hour was fed by hand)."""

    def get(self, timeout_s: float) -> RecPacket | None:
        return None

    def close(self) -> None:
        return None

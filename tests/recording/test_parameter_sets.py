"""A camera that sends its SPS/PPS only in the session description (none before its
keyframes) is recorded: the RTSP source announces them on the PacketTap, the recorder
makes each segment's template from them, and the packets written stay the camera's own;
without them the segment is refused with the reason."""

from __future__ import annotations

import re
import time
from pathlib import Path

import av
import pytest

from edge.packet_tap import CameraPacket, PacketTap
from edge.recording.feeds import TapFeed
from edge.recording.recorder import Recorder
from edge.recording.segment import RecordingError, RecPacket, SegmentWriter
from edge.recording.settings import RecordingSettings
from tests.recording.hour import FPS, Access, encoded_loop

PARAMETER_SETS = (7, 8)  # SPS, PPS


def nal_units(annex_b: bytes) -> list[bytes]:
    """The NAL units of an Annex B access unit (3- or 4-byte start codes)."""
    return [u.rstrip(b"\x00") for u in re.split(b"\x00\x00\x01", annex_b)[1:] if u]


def avcc_units(sample: bytes) -> list[bytes]:
    units, i = [], 0
    while i + 4 <= len(sample):
        n = int.from_bytes(sample[i : i + 4], "big")
        units.append(sample[i + 4 : i + 4 + n].rstrip(b"\x00"))
        i += 4 + n
    return units


def split_parameter_sets(loop: list[Access]) -> tuple[bytes, list[Access]]:
    """(SPS+PPS as Annex B, the loop with them taken out of every keyframe)."""
    sets: list[bytes] = []
    out = []
    for unit in loop:
        kept = []
        for nal in nal_units(unit.data):
            if nal[0] & 0x1F in PARAMETER_SETS:
                if nal not in sets:
                    sets.append(nal)
            else:
                kept.append(nal)
        out.append(Access(b"".join(b"\x00\x00\x00\x01" + n for n in kept), unit.keyframe))
    assert len(sets) == 2, "one SPS and one PPS"
    assert not any(n[0] & 0x1F in PARAMETER_SETS for u in out for n in nal_units(u.data))
    return b"".join(b"\x00\x00\x00\x01" + n for n in sets), out


def test_parameter_sets_from_the_session_make_the_segment(tmp_path: Path) -> None:
    sets, bare = split_parameter_sets(encoded_loop())
    with pytest.raises(RecordingError, match="neither the keyframe nor the camera's session"):
        SegmentWriter(tmp_path / "refused.mp4", RecPacket(bare[0].data, True, 0, 0))
    tap = PacketTap()
    tap.announce("cam-sdp", "h264", sets)
    settings = RecordingSettings(path=tmp_path / "rec", segment_s=2, max_age_h=1)
    recorder = Recorder(settings, {"cam-sdp": TapFeed(tap, "cam-sdp")}).start()
    start = int(time.time() * 1000)
    try:
        for i, unit in enumerate(bare[: 3 * FPS]):  # 3 s: a closed segment and another
            t = start + i * 1000 // FPS
            tap.publish(
                CameraPacket(
                    "cam-sdp", "h264", (320, 180), FPS, unit.data, unit.keyframe, t * 90, t
                )
            )
        deadline = time.monotonic() + 10
        while len(recorder.index.segments("cam-sdp")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        recorder.cameras["cam-sdp"].stop()
    segments = recorder.index.segments("cam-sdp")
    cam = recorder.cameras["cam-sdp"]
    recorder.stop()
    assert cam.errors == 0, cam.last_error
    assert len(segments) == 2
    written = []
    for seg in segments:
        with av.open(str(settings.path / seg.path)) as c:
            written += [bytes(p) for p in c.demux(video=0) if p.size]
        with av.open(str(settings.path / seg.path)) as c:
            assert sum(1 for _ in c.decode(video=0)) >= FPS
    # the samples are the camera's bare packets (length-prefixed), no SPS/PPS added to them
    assert [avcc_units(w) for w in written] == [nal_units(u.data) for u in bare[: 3 * FPS]]

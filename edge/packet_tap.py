"""Fan-out of a camera's own encoded packets (H.264 as the camera sent it) for pass-through.

An RTSP source publishes every H.264 packet it demuxes, before decoding, so the box's video
server can hand them to a viewer without encoding anything. ``publish`` never blocks and
never grows memory: a subscriber that falls ``maxlen`` packets behind loses what it held and
skips to the next keyframe, since a picture without its references cannot be decoded.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CameraPacket:
    camera_id: str
    codec: str  # "h264"
    resolution_wh: tuple[int, int]
    fps: float
    data: bytes  # Annex B access unit
    keyframe: bool
    pts_90k: int  # the camera's presentation time, 90 kHz
    captured_ms: int  # Unix epoch milliseconds when the box received it


class PacketSubscription:
    def __init__(self, tap: PacketTap, camera_id: str, maxlen: int) -> None:
        self.camera_id = camera_id
        self.overflows = 0
        self._tap = tap
        self._maxlen = maxlen
        self._packets: deque[CameraPacket] = deque()
        self._wait_keyframe = True
        self._ready = threading.Condition()
        self._closed = False

    def _push(self, packet: CameraPacket) -> None:
        with self._ready:
            if self._wait_keyframe and not packet.keyframe:
                return
            self._wait_keyframe = False
            if len(self._packets) >= self._maxlen:
                self.overflows += 1
                self._packets.clear()
                self._wait_keyframe = not packet.keyframe
                if self._wait_keyframe:
                    return
            self._packets.append(packet)
            self._ready.notify()

    def get(self, timeout_s: float | None = None) -> CameraPacket | None:
        """The oldest packet held, waiting up to ``timeout_s``; None on timeout or close.
        The first packet a subscription gives is a keyframe."""
        with self._ready:
            if not self._packets and not self._closed:
                self._ready.wait(timeout_s)
            return self._packets.popleft() if self._packets else None

    def close(self) -> None:
        self._tap._remove(self)
        with self._ready:
            self._closed = True
            self._ready.notify_all()


class PacketTap:
    """Publish/subscribe of camera packets per camera; remembers each camera's last stream."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, list[PacketSubscription]] = {}
        self._last: dict[str, CameraPacket] = {}
        self._codecs: dict[str, str] = {}
        self._parameter_sets: dict[str, bytes] = {}

    def subscribe(self, camera_id: str, maxlen: int = 120) -> PacketSubscription:
        sub = PacketSubscription(self, camera_id, maxlen)
        with self._lock:
            self._subs.setdefault(camera_id, []).append(sub)
        return sub

    def latest(self, camera_id: str) -> CameraPacket | None:
        """The last packet the camera sent (its codec and size), or None if it sent none."""
        with self._lock:
            return self._last.get(camera_id)

    def announce(self, camera_id: str, codec: str, parameter_sets: bytes = b"") -> None:
        """The camera's codec as its source found it (also when it publishes nothing: an
        H.265 camera), so a consumer can tell "not H.264" from "not sending yet"; and its
        parameter sets from the session description (Annex B SPS/PPS), for a camera that
        does not repeat them before each keyframe."""
        with self._lock:
            self._codecs[camera_id] = codec
            self._parameter_sets[camera_id] = parameter_sets

    def parameter_sets(self, camera_id: str) -> bytes:
        with self._lock:
            return self._parameter_sets.get(camera_id, b"")

    def codec(self, camera_id: str) -> str | None:
        with self._lock:
            return self._codecs.get(camera_id)

    def publish(self, packet: CameraPacket) -> None:
        with self._lock:
            self._last[packet.camera_id] = packet
            subs = list(self._subs.get(packet.camera_id, ()))
        for sub in subs:
            sub._push(packet)

    def _remove(self, sub: PacketSubscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.camera_id, [])
            if sub in subs:
                subs.remove(sub)

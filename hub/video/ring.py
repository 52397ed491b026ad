"""Pre-event buffer: the last few seconds of one camera's encoded packets. Pure, no I/O.

Packets are kept whole groups of pictures at a time (a keyframe and what follows it), so any
window taken out of the buffer starts at a keyframe and decodes without the packets before
it. Memory is bounded by duration and by a byte cap, whichever is reached first.
"""

from __future__ import annotations

from collections import deque

from contracts.video_wire import EncodedPacket


class PacketRing:
    def __init__(self, keep_s: float, max_bytes: int = 64 * 1024 * 1024) -> None:
        if keep_s <= 0:
            raise ValueError(f"keep_s must be positive, got {keep_s}")
        self.keep_ms = int(keep_s * 1000)
        self.max_bytes = max_bytes
        self._packets: deque[EncodedPacket] = deque()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._packets)

    @property
    def bytes_held(self) -> int:
        return self._bytes

    def add(self, packet: EncodedPacket) -> None:
        """Append a packet; a stream that has not yet shown a keyframe is not kept."""
        if not self._packets and not packet.keyframe:
            return
        self._packets.append(packet)
        self._bytes += len(packet.data)
        self._trim(packet.captured_ms)

    def _trim(self, now_ms: int) -> None:
        # Drop whole leading GOPs while the one after still covers the kept duration.
        while True:
            second = self._next_keyframe_index()
            if second is None:
                return
            too_old = now_ms - self._packets[second].captured_ms >= self.keep_ms
            too_big = self._bytes > self.max_bytes
            if not (too_old or too_big):
                return
            for _ in range(second):
                self._bytes -= len(self._packets.popleft().data)

    def _next_keyframe_index(self) -> int | None:
        for i, packet in enumerate(self._packets):
            if i > 0 and packet.keyframe:
                return i
        return None

    def window(self, start_ms: int, end_ms: int) -> list[EncodedPacket]:
        """Packets captured in [start_ms, end_ms], widened back to the keyframe before start_ms."""
        if end_ms < start_ms:
            raise ValueError(f"window end {end_ms} is before its start {start_ms}")
        packets = list(self._packets)
        first = 0
        for i, packet in enumerate(packets):
            if packet.captured_ms > start_ms:
                break
            if packet.keyframe:
                first = i
        return [p for p in packets[first:] if p.captured_ms <= end_ms]

    def latest_gop(self) -> list[EncodedPacket]:
        """The last keyframe and everything after it: enough to decode the newest picture."""
        packets = list(self._packets)
        for i in range(len(packets) - 1, -1, -1):
            if packets[i].keyframe:
                return packets[i:]
        return []

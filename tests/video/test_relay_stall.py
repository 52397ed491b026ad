"""A stalled viewer is dropped without costing the others a packet (relay with a paced source)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from contracts.video_wire import EncodedPacket
from hub.video.relay import CameraRelay, Viewer
from hub.video.upstream import StreamInfo
from tests.video.rig import wait_until

pytestmark = pytest.mark.timeout(30)


class PacedUpstream:
    """Packets every ``period_s``, a keyframe every ``gop``; an in-process source for the relay."""

    def __init__(self, period_s: float = 0.01, gop: int = 5) -> None:
        self.period_s = period_s
        self.gop = gop
        self.closed = False

    async def open(self) -> StreamInfo:
        return StreamInfo("vp8", (320, 180), 1 / self.period_s)

    async def packets(self) -> AsyncIterator[EncodedPacket]:
        seq = 0
        while True:
            await asyncio.sleep(self.period_s)
            ms = time.time_ns() // 1_000_000
            yield EncodedPacket(b"x" * 100, ms * 90, ms, seq % self.gop == 0, seq)
            seq += 1

    async def close(self) -> None:
        self.closed = True


async def drain(viewer: Viewer, got: list[EncodedPacket]) -> None:
    while (packet := await viewer.queue.get()) is not None:
        got.append(packet)


async def test_stalled_viewer_dropped_others_get_every_packet() -> None:
    upstream = PacedUpstream()
    relay = CameraRelay(
        "cam-01",
        "sub",
        lambda: upstream,
        keep_running=False,
        idle_stop_s=0.1,
        queue_packets=4,
        stall_drop_s=0.3,
    )
    await relay.ensure_running()
    dropped: list[str] = []
    healthy = relay.add_viewer()
    stalled = relay.add_viewer(on_drop=lambda: dropped.append("stalled"))
    got: list[EncodedPacket] = []
    reader = asyncio.create_task(drain(healthy, got))
    await wait_until(lambda: dropped, 5, "the stalled viewer dropped")
    assert dropped == ["stalled"]
    assert relay.viewers == 1 and relay.viewers_dropped == 1
    assert stalled.queue.get_nowait() is None  # the stalled viewer's queue ends
    await asyncio.sleep(0.2)
    sequences = [p.sequence for p in got]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))  # no gap
    assert got[0].keyframe  # a viewer starts at a keyframe
    relay.remove_viewer(healthy)
    await reader
    await wait_until(lambda: not relay.running, 5, "the idle upstream stopped")
    assert not relay.running and upstream.closed  # idle stop after the last viewer


async def test_slow_viewer_resumes_at_a_keyframe() -> None:
    relay = CameraRelay(
        "cam-01",
        "sub",
        PacedUpstream,
        keep_running=True,
        idle_stop_s=0.1,
        queue_packets=3,
        stall_drop_s=10,
    )
    await relay.ensure_running()
    viewer = relay.add_viewer()
    await asyncio.sleep(0.15)  # overflow: packets are skipped, the viewer is not dropped
    assert viewer.skipped > 0 and relay.viewers == 1
    while not viewer.queue.empty():
        viewer.queue.get_nowait()
    first = await asyncio.wait_for(viewer.queue.get(), 2)
    assert first is not None and first.keyframe
    await relay.stop()

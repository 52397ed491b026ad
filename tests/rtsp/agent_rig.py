"""The real edge agent on RTSP cameras, and a stats consumer that notes when each report came."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.codec import decode
from contracts.messages import BoxStats, CameraStats
from contracts.topics import TopicKind
from edge.agent import Agent
from edge.settings import parse_edge_config
from tests.edge.helpers import Recorder, box_config, camera

FAST_RECOVERY = {"offline_after_s": 1.0, "reconnect_max_s": 0.5, "source_timeout_s": 1.0}
"""Short timeouts so a fault and its recovery fit in a few seconds (the defaults: 10, 15, 5)."""


@dataclass(frozen=True)
class Report:
    at_s: float  # time.monotonic() when the stats message arrived
    camera: CameraStats


class StatsLog(Recorder):
    """Every camera report of one box from the real broker, with its arrival time."""

    def __init__(self, mqtt_url: str, prefix: str, box_id: str = "edge-t1") -> None:
        self.reports: list[Report] = []
        self._reports_lock = threading.Lock()
        super().__init__(mqtt_url, prefix, box_id, (TopicKind.STATS,))

    def _on_message(self, _c: Any, _u: Any, msg: Any) -> None:
        super()._on_message(_c, _u, msg)
        try:
            _, stats = decode(self.prefix, msg.topic, bytes(msg.payload))
        except Exception:
            return  # recorded as an error by the parent
        if isinstance(stats, BoxStats):
            with self._reports_lock:
                self.reports += [Report(time.monotonic(), c) for c in stats.cameras]

    def first(
        self, match: Callable[[CameraStats], bool], after_s: float, timeout_s: float
    ) -> Report | None:
        """The first report after ``after_s`` that matches, waiting up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._reports_lock:
                found = next(
                    (r for r in self.reports if r.at_s >= after_s and match(r.camera)), None
                )
            if found is not None or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


@contextlib.contextmanager
def rtsp_agent(
    tmp_path: Path,
    mqtt_url: str,
    prefix: str,
    cameras: dict[str, str],
    *,
    transport: str | dict[str, str] = "tcp",
    backend: str = "truth",
    pipeline: dict[str, Any] | None = None,
    rules: dict[str, Any] | None = None,
    categories: tuple[str, ...] = ("06010", "06901", "08004"),
    wh: tuple[int, int] = (640, 360),
    fps: float = 5.0,
) -> Iterator[tuple[Agent, StatsLog]]:
    """An agent whose cameras (id -> RTSP URL) are read over ``transport`` (or each over
    its own: id -> transport)."""
    ways = transport if isinstance(transport, dict) else dict.fromkeys(cameras, transport)
    cams = [
        camera(
            cam_id,
            {"kind": "rtsp", "url": url, "transport": ways[cam_id]},
            wh=wh,
            fps=fps,
            detect_fps=fps,
            rules=rules,
            categories=categories,
        )
        for cam_id, url in cameras.items()
    ]
    data = box_config(
        tmp_path,
        mqtt_url,
        prefix,
        cams,
        backend=backend,
        stats_interval_s=1.0,
        pipeline={**FAST_RECOVERY, **(pipeline or {})},
    )
    log = StatsLog(mqtt_url, prefix)
    agent = Agent(parse_edge_config(data, "test", tmp_path), tmp_path)
    agent.start()
    try:
        yield agent, log
    finally:
        agent.stop()
        log.close()

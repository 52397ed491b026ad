"""Must show: a camera URL that does not answer is reported offline, and recovers when it
comes back. The camera is an HTTP URL served (later) by a real HTTP server; OpenCV's FFmpeg
backend reads it."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from contracts.messages import BoxStats
from contracts.topics import TopicKind
from edge.agent import Agent
from edge.settings import parse_edge_config
from tests.edge.broker import free_port
from tests.edge.helpers import Recorder, box_config, camera, wait_for

pytestmark = pytest.mark.integration


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def _clip(path: Path, frames: int = 60) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (160, 120))
    for i in range(frames):
        img = np.full((120, 160, 3), 40, np.uint8)
        cv2.rectangle(img, (i * 2, 30), (i * 2 + 30, 80), (0, 200, 255), -1)
        writer.write(img)
    writer.release()


def _state(rec: Recorder, state: str) -> bool:
    return any(c.state == state for s in rec.of(BoxStats) for c in s.cameras)


def test_silent_camera_goes_offline_and_recovers(
    tmp_path: Path, mqtt_url: str, topic_prefix: str
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    _clip(www / "clip.avi")
    port = free_port()
    main = {"kind": "http", "url": f"http://127.0.0.1:{port}/clip.avi"}
    cam = camera("cam-h", main, wh=(160, 120), fps=10.0)
    data = box_config(
        tmp_path,
        mqtt_url,
        topic_prefix,
        [cam],
        stats_interval_s=1.0,
        pipeline={"offline_after_s": 1.0, "reconnect_max_s": 0.5},
    )
    agent = Agent(parse_edge_config(data, "test", tmp_path), tmp_path)
    rec = Recorder(mqtt_url, topic_prefix, "edge-t1", (TopicKind.STATS,))
    server: ThreadingHTTPServer | None = None
    agent.start()
    try:
        assert wait_for(lambda: _state(rec, "offline"), 20.0), [s.cameras for s in rec.of(BoxStats)]
        offline = next(c for s in rec.of(BoxStats) for c in s.cameras if c.state == "offline")
        assert offline.reason and str(port) in offline.reason
        handler = functools.partial(_Quiet, directory=str(www))
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        assert wait_for(lambda: _state(rec, "online"), 20.0)
        assert wait_for(lambda: agent.pipelines["cam-h"].capture.frames > 5, 10.0)
    finally:
        agent.stop()
        rec.close()
        if server is not None:
            server.shutdown()
            server.server_close()
    assert not rec.errors

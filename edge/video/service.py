"""The hook by which the (threaded) edge agent serves video: an asyncio loop in one thread.

``video_from_env(tap)`` returns a started `VideoService` when ``GRIDWALL_EDGE_VIDEO`` names a
YAML file of `EdgeVideoSettings` (its ``video:`` section, or the whole file), else None: a
box without that variable serves no video. The hub's token is read from ``token_env``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path
from typing import Any

import yaml

from edge.frame_tap import FrameTap
from edge.packet_tap import PacketTap
from edge.video.server import EdgeVideoServer
from edge.video.settings import EdgeVideoSettings

log = logging.getLogger(__name__)


class VideoService:
    def __init__(
        self,
        settings: EdgeVideoSettings,
        tap: FrameTap,
        token: str,
        packets: PacketTap | None = None,
    ) -> None:
        self.server = EdgeVideoServer(settings, tap, token, packets)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="video", daemon=True)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the server runs on (in-box clients such as the recorder join it)."""
        return self._loop

    def start(self) -> VideoService:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


def load_edge_video_settings(path: Path) -> EdgeVideoSettings:
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if isinstance(raw, dict) and "video" in raw:
        raw = raw["video"]
    return EdgeVideoSettings.model_validate(raw)


def video_from_env(
    tap: FrameTap, env: dict[str, str] | None = None, packets: PacketTap | None = None
) -> VideoService | None:
    env = dict(os.environ) if env is None else env
    path = env.get("GRIDWALL_EDGE_VIDEO")
    if not path:
        return None
    settings = load_edge_video_settings(Path(path))
    token = env.get(settings.token_env, "")
    if not token:
        raise ValueError(f"environment variable {settings.token_env} holds no video token")
    service = VideoService(settings, tap, token, packets).start()
    log.info("video served on %s:%d", settings.host, service.server.port)
    return service

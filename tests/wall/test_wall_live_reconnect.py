"""The wall's live stream outlives a Redis restart: the change-channel listener subscribes
again, so a monitor's open stream gets the next update without a hub restart, and the hub
then stops cleanly (the listener used to end on the lost connection and fail the shutdown).

The hub runs on a Redis of this test's own (the shipped durability settings), restarted
under it; the shared Redis is never touched."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.trust.redis_rig import OwnRedis, shipped_redis_args
from tests.wall.conftest import AUTH, WallServer, wait_for

pytestmark = pytest.mark.integration
DOWN_S = 1.0  # Redis stays down this long, long enough for the listener to notice and retry
ARRIVE_S = 20.0  # the update reaches the open stream within this after Redis is back


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    own = OwnRedis(tmp_path / "redis", shipped_redis_args())
    own.start()
    try:
        yield own
    finally:
        own.close()


@pytest.fixture
def redis_url(own_redis: OwnRedis) -> str:
    """The wall server's Redis: this test's own (overrides the session's shared one)."""
    return own_redis.url


class Events:
    """An open SSE stream of one wall, read in a thread over a plain socket (which ``close``
    can interrupt, so the hub never waits for it at shutdown): monitor 0's layouts seen."""

    def __init__(self, url: str) -> None:
        self.layouts: list[str] = []
        self.error: BaseException | None = None
        u = httpx.URL(url)
        self._sock = socket.create_connection((u.host, u.port or 80), timeout=10)
        self._sock.settimeout(None)
        head = f"GET /api/wall/walls/h/events HTTP/1.1\r\nHost: {u.host}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in AUTH.items()) + "\r\n"
        self._sock.sendall(head.encode())
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        name = ""
        try:
            for raw in self._sock.makefile("rb"):
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name == "state":
                    self.layouts.append(json.loads(line[6:])["state"]["monitors"][0]["layout"])
        except OSError as exc:  # the test reads it: the stream must stay open
            self.error = exc

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._thread.join(5)


def _put_layout(server: WallServer, layout: str) -> Any:
    with server.client() as c:
        return c.put("/api/wall/walls/h/monitors/0/layout", json={"layout": layout})


def test_a_redis_restart_under_the_wall_keeps_its_live_stream(
    wall_server: WallServer, own_redis: OwnRedis
) -> None:
    with wall_server.client() as c:
        c.put("/api/wall/walls/h", json={"rows": 1, "cols": 1}).raise_for_status()
    events = Events(wall_server.url)
    try:
        wait_for(lambda: events.layouts, 15, "the stream's first state")
        assert _put_layout(wall_server, "4").status_code == 204
        wait_for(lambda: "4" in events.layouts, 15, "layout 4 on the stream")

        own_redis.close()  # a clean stop: the AOF holds the wall, so the restart keeps it
        time.sleep(DOWN_S)
        own_redis.start()
        back = time.monotonic()
        # the hub's request client reconnects on its own; a PUT may meet the old connection
        wait_for(lambda: _put_layout(wall_server, "9").status_code == 204, 15, "a PUT after")
        wait_for(lambda: "9" in events.layouts, ARRIVE_S, "layout 9 on the open stream")
        print(f"update on the open stream {time.monotonic() - back:.2f} s after Redis was back")
        assert events.error is None, f"the stream broke: {events.error!r}"
        live = wall_server.parts.live
        assert live.resubscribes >= 1
        assert live._task is not None and not live._task.done()
    finally:
        events.close()

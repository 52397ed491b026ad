"""Hub test harness: settings on the per-test prefixes, a sample district with one extra
camera watching cam-01's dump site, an MQTT publisher and an in-process hub with a fake clock
served over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import paho.mqtt.client as mqtt
import pytest
import uvicorn
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from redis.asyncio import Redis

from contracts.codec import encode
from contracts.messages import AlertEvent
from contracts.topics import TopicKind, topic_for
from hub.api.auth import Principal
from hub.app import create_app
from hub.domain.clock import FakeClock
from hub.runtime import HubRuntime
from hub.settings import HubSettings, load_hub_settings
from hub.store.keys import Keys

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
SAMPLE_COUNTY = "339901"  # the county code of configs/district


def key_root(prefix: str) -> str:
    """The root of the sample district's Redis keys under ``prefix`` (``hub.store.keys``)."""
    return Keys.for_district(prefix, SAMPLE_COUNTY).prefix


TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = int(dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ).timestamp() * 1000)
TOKENS = {
    "operator-token-0123456789": Principal("op1", "operator"),
    "admin-token-0123456789ab": Principal("admin", "admin"),
    "tech-token-0123456789abc": Principal("tech", "technician"),
    "resp-token-0123456789abc": Principal(
        "p-339901001001007-m", "responder", "p-339901001001007-m"
    ),
}
OP = {"Authorization": "Bearer operator-token-0123456789"}


@pytest.fixture(scope="session")
def test_district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample district plus cam-91 (edge-01), whose zone looks ~10 m from cam-01's."""
    root = tmp_path_factory.mktemp("district")
    shutil.copytree(REPO / "configs" / "district", root, dirs_exist_ok=True)
    doc = yaml.safe_load((root / "cameras.yaml").read_text(encoding="utf-8"))
    cam = next(c for c in doc["cameras"] if c["camera_id"] == "cam-01")
    twin = yaml.safe_load(yaml.safe_dump(cam))
    twin["camera_id"], twin["name"] = "cam-91", "路口01对面"
    twin["stream"]["main"]["seed"] = 91
    twin["mount"] = {"lon": 120.3095, "lat": 30.1058}
    twin["zones"][0]["target"] = {"lon": 120.309361, "lat": 30.105401}
    doc["cameras"].append(twin)
    (root / "cameras.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return root


@pytest.fixture
def hub_settings(
    tmp_path: Path,
    test_district: Path,
    mqtt_url: str,
    redis_url: str,
    topic_prefix: str,
    redis_prefix: str,
) -> HubSettings:
    cfg = tmp_path / "hub.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "district_dir": str(test_district),
                "mqtt": {
                    "url": mqtt_url,
                    "topic_prefix": topic_prefix,
                    "client_id": f"hub-{redis_prefix}",
                    "shared_group": redis_prefix,
                },
                "redis": {"url": redis_url, "key_prefix": redis_prefix},
                "verification": {"clear_checks": 2},
                "correlation": {"joint_categories": ["06901"]},
            }
        )
    )
    return load_hub_settings(cfg, env={})


@pytest.fixture
async def redis(redis_url: str, redis_prefix: str) -> AsyncIterator[Redis]:
    r = Redis.from_url(redis_url)
    yield r
    keys = [k async for k in r.scan_iter(match=f"{redis_prefix}:*", count=1000)]
    for i in range(0, len(keys), 500):
        await r.delete(*keys[i : i + 500])
    await r.aclose()


class Publisher:
    def __init__(self, url_host: str, port: int, prefix: str) -> None:
        self.prefix = prefix
        self.c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"pub-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.c.connect(url_host, port)
        self.c.loop_start()

    def raw(self, topic: str, payload: bytes) -> None:
        self.c.publish(topic, payload, qos=1).wait_for_publish(5)

    def alert(self, box: str, **kw: Any) -> AlertEvent:
        ev = make_alert(box, **kw)
        self.raw(topic_for(self.prefix, TopicKind.EVENT, box), encode(ev))
        return ev

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def make_alert(box: str, **kw: Any) -> AlertEvent:
    base: dict[str, Any] = {
        "type": "new",
        "event_id": f"ev-{uuid.uuid4().hex[:12]}",
        "seq": 0,
        "box_id": box,
        "camera_id": "cam-01",
        "zone_id": "ground",
        "category": "06010",
        "rule": "waste_dump",
        "confidence": 0.93,
        "started_at_ms": MONDAY_9,
        "updated_at_ms": MONDAY_9,
    }
    base.update(kw)
    return AlertEvent(**base)


@pytest.fixture
def publisher(mqtt_url: str, topic_prefix: str) -> Iterator[Publisher]:
    u = httpx.URL(mqtt_url.replace("mqtt://", "http://"))
    p = Publisher(u.host, u.port or 1883, topic_prefix)
    yield p
    p.close()


async def wait_for(probe: Callable[[], Awaitable[T | None]], timeout_s: float = 10.0) -> T:
    """Poll ``probe`` until it returns something truthy, or fail at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        got = await probe()
        if got:
            return got
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.05)


async def _started(server: uvicorn.Server) -> bool:
    return bool(server.started)


class Hub:
    def __init__(
        self, runtime: HubRuntime, client: httpx.AsyncClient, clock: FakeClock, base_url: str
    ) -> None:
        self.rt, self.http, self.clock, self.base_url = runtime, client, clock, base_url

    async def cases(self) -> list[dict[str, Any]]:
        r = await self.http.get("/api/cases", headers=OP)
        r.raise_for_status()
        return list(r.json())


@contextlib.asynccontextmanager
async def running_hub(
    settings: HubSettings,
    clock: FakeClock | None = None,
    tokens: Any = None,
    timeout_s: float = 10,
) -> AsyncIterator[Hub]:
    clock = clock or FakeClock(MONDAY_9)
    rt = HubRuntime(settings, clock=clock, timer_loop=False)  # tests fire timers themselves
    await rt.start()
    app = create_app(settings, runtime=rt, tokens=TOKENS if tokens is None else tokens)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: _started(server), timeout_s)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=timeout_s) as client:
            yield Hub(rt, client, clock, base)
    finally:
        server.should_exit = True
        await task
        await rt.stop()


@pytest.fixture
async def hub(hub_settings: HubSettings, redis: Redis) -> AsyncIterator[Hub]:
    async with running_hub(hub_settings) as h:
        yield h


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HubProcess:
    """``python -m hub run`` as a real subprocess (for kill -9 and multi-process tests)."""

    def __init__(self, settings: HubSettings, tmp: Path, client_id: str) -> None:
        self.port = free_port()
        self.cfg = tmp / f"hub-{client_id}.yaml"
        mqtt_s = settings.mqtt
        self.cfg.write_text(
            yaml.safe_dump(
                {
                    "district_dir": str(settings.district_dir),
                    "mqtt": {
                        "url": mqtt_s.url,
                        "topic_prefix": mqtt_s.topic_prefix,
                        "client_id": client_id,
                        "shared_group": mqtt_s.shared_group,
                    },
                    "redis": {"url": settings.redis.url, "key_prefix": settings.redis.key_prefix},
                    "http": {"host": "127.0.0.1", "port": self.port},
                }
            )
        )
        self.log = tmp / f"hub-{client_id}.log"
        self.proc: Any = None

    def start(self) -> None:
        import os
        import subprocess
        import sys

        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWALL_")}
        env["GRIDWALL_HUB_TOKENS"] = "operator-token-0123456789 operator"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hub", "run", "--config", str(self.cfg)],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, timeout_s: float = 150) -> None:
        """Until its /healthz answers; a start can take a minute and more on a loaded machine
        (importing hub.app alone took 12.6 s at load 26; 30 s ran out at load 17)."""
        async with httpx.AsyncClient(timeout=2) as c:

            async def up() -> bool:
                if self.proc.poll() is not None:
                    raise AssertionError(f"hub exited: {self.log.read_text()[-2000:]}")
                try:
                    return (await c.get(f"http://127.0.0.1:{self.port}/healthz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await wait_for(up, timeout_s)

    def kill9(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except Exception:
                self.proc.kill()
                self.proc.wait(5)

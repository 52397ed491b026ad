"""Must show: enrolment from a one-time token to the box's first alert on a broker with per-box
auth; the token works once; the enrolled box cannot publish outside its own prefix."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from contracts.codec import encode
from contracts.topics import TopicKind, topic_for
from edge.enrol import read_env_file
from edge.settings import load_edge_config
from hub.enrol.broker_files import Account, hash_password, render_acl, render_password_file
from hub.enrol.settings import EnrolSettings
from hub.settings import HubSettings
from tests.field.broker import Client, PrivateBroker
from tests.field.harness import TECH, field_hub
from tests.hub.conftest import make_alert

pytestmark = pytest.mark.integration
HUB_PW = "hub-password-for-tests-01"


@pytest.fixture
def broker(tmp_path: Path, topic_prefix: str) -> Iterator[PrivateBroker]:
    folder = tmp_path / "broker"
    folder.mkdir()
    hub = [Account("hub", "hub", hash_password(HUB_PW))]
    (folder / "passwd").write_text(render_password_file(hub))
    (folder / "acl").write_text(render_acl(topic_prefix, hub))
    b = PrivateBroker(folder)
    b.start()
    assert b.proc is not None
    (folder / "mosquitto.pid").write_text(str(b.proc.pid))
    yield b
    b.stop()


async def test_token_to_first_alert(
    hub_settings: HubSettings,
    redis: Redis,
    broker: PrivateBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    topic_prefix: str,
) -> None:
    monkeypatch.setenv("GW_TEST_HUB_USER", "hub")
    monkeypatch.setenv("GRIDWALL_HUB_MQTT_PASSWORD", HUB_PW)
    mqtt = hub_settings.mqtt.model_copy(
        update={
            "url": broker.url,
            "username_env": "GW_TEST_HUB_USER",
            "password_env": "GRIDWALL_HUB_MQTT_PASSWORD",
        }
    )
    enrol = EnrolSettings(
        broker_dir=broker.folder,
        box_broker_url=broker.url,
        reload="pidfile",
        broker_pid_file=broker.folder / "mosquitto.pid",
    )
    settings = hub_settings.model_copy(update={"mqtt": mqtt, "enrol": enrol})
    async with field_hub(settings) as h:
        t0 = time.monotonic()
        r = await h.http.post("/api/enrol/tokens", json={"box_id": "edge-01"}, headers=TECH)
        assert r.status_code == 201, r.text
        token, command = r.json()["token"], r.json()["command"]
        assert command == f"python -m edge enrol --hub {h.base_url} --token {token}"
        unknown = await h.http.post("/api/enrol/tokens", json={"box_id": "edge-77"}, headers=TECH)
        assert unknown.status_code == 422 and "'edge-77' has no cameras" in unknown.text

        box_dir = tmp_path / "box"
        argv = [
            *command.split()[3:],
            "--dir",
            str(box_dir),
            "--data-dir",
            str(box_dir / "data"),
            "--backend",
            "truth",
        ]
        code, out = await _run_edge(argv)
        assert code == 0, out
        assert "enrolled box edge-01" in out
        again, out2 = await _run_edge(argv)
        assert again == 2 and "enrolment token unknown, already used or expired" in out2

        creds = box_dir / "credentials.env"
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        env = read_env_file(creds)
        cfg = load_edge_config(box_dir / "edge.yaml", env=env)
        assert cfg.settings.box_id == "edge-01" and cfg.settings.mqtt.url == broker.url
        assert {c.camera_id for c in cfg.cameras} >= {"cam-01"}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        user, password = cfg.settings.mqtt.credentials() or ("", "")
        assert user == "edge-01"

        box = Client(broker.port, user, password)
        assert box.connect() == 0, "the enrolled box could not log in"
        try:
            now = int(time.time() * 1000)
            alert = make_alert("edge-01", started_at_ms=now, updated_at_ms=now)
            assert (
                box.publish(topic_for(topic_prefix, TopicKind.EVENT, "edge-01"), encode(alert)) == 0
            )
            forged = make_alert("edge-02", camera_id="cam-03", started_at_ms=now, updated_at_ms=now)
            assert (
                box.publish(topic_for(topic_prefix, TopicKind.EVENT, "edge-02"), encode(forged))
                == 135
            )

            async def first_case() -> Any:
                cases = (await h.http.get("/api/cases", headers=TECH)).json()
                return [c for c in cases if c.get("box_id") == "edge-01"]

            cases = await _poll(first_case, 10)
            assert cases, "the box's first alert did not become a case"
            print(f"token → enrolled → first case in {time.monotonic() - t0:.2f} s")
            assert not [
                c
                for c in (await h.http.get("/api/cases", headers=TECH)).json()
                if c.get("box_id") == "edge-02"
            ]
        finally:
            box.stop()
    assert "edge-01" in (broker.folder / "acl").read_text()


async def _run_edge(args: list[str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "edge",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("GRIDWALL_")},
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


async def _poll(probe: Any, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        got = await probe()
        if got or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.05)

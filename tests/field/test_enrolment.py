"""Must show: enrolment from a one-time token to the box's first alert on a broker with per-box
auth; the token works once; the enrolled box cannot publish outside its own prefix.

The first alert comes from the real edge agent (``python -m edge run``), started the way the
Pi's systemd unit starts it: the config the enrol command wrote, the credentials file as its
environment, the data folder as its working directory. Its camera is the district's own
synthetic one, with a script that stacks gas cylinders from the first second, and the truth
detector (the test seam the edge tests use) reads the scene, so the first alert comes within
seconds of the agent's start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import stat
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
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

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # runs the real edge agent
HUB_PW = "hub-password-for-tests-01"
# cylinders stacked from the scene's first second, held 1 s: the first alert a few seconds
# after the agent starts (the preset's first episode waits 12 s)
CYLINDERS_AT_ONCE = {
    "background": "street",
    "duration_s": 120.0,
    "loop": True,
    "episodes": [
        {
            "kind": "gas_cylinder_stack",
            "start_s": 1.0,
            "end_s": 119.0,
            "region_norm": [0.12, 0.58, 0.36, 0.82],
            "count": 4,
        }
    ],
}


@pytest.fixture
def enrol_district(test_district: Path, tmp_path: Path) -> Path:
    """The test district with edge-01 down to cam-01 playing ``CYLINDERS_AT_ONCE``."""
    root = tmp_path / "district"
    shutil.copytree(test_district, root)
    doc = yaml.safe_load((root / "cameras.yaml").read_text(encoding="utf-8"))
    for cam in doc["cameras"]:
        if cam["camera_id"] == "cam-01":
            cam["stream"]["main"] = {"kind": "synthetic", "script": CYLINDERS_AT_ONCE, "seed": 1}
            cam["zones"][0]["rules"] = {"cylinder_hold_s": 1.0}
        elif cam["box_id"] == "edge-01":
            cam["box_id"] = "edge-02"  # one camera on the box: light on a shared machine
    (root / "cameras.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return root


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
    enrol_district: Path,
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
    settings = hub_settings.model_copy(
        update={"mqtt": mqtt, "enrol": enrol, "district_dir": enrol_district}
    )
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

        t_enrolled = time.monotonic()
        creds = box_dir / "credentials.env"
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        env = read_env_file(creds)
        cfg = load_edge_config(box_dir / "edge.yaml", env=env)
        assert cfg.settings.box_id == "edge-01" and cfg.settings.mqtt.url == broker.url
        assert [c.camera_id for c in cfg.cameras] == ["cam-01"]
        assert cfg.settings.detector.backend == "truth"
        mqtt_cfg = cfg.settings.mqtt
        assert mqtt_cfg.username_env and mqtt_cfg.password_env
        user, password = env[mqtt_cfg.username_env], env[mqtt_cfg.password_env]
        assert user == "edge-01" and len(password) >= 16

        async def first_case() -> Any:
            cases = (await h.http.get("/api/cases", headers=TECH)).json()
            return [c for c in cases if c.get("box_id") == "edge-01"]

        async with running_agent(box_dir / "edge.yaml", creds, box_dir / "data") as agent:
            t_agent = time.monotonic()
            cases = await _poll(first_case, 45)
            t_case = time.monotonic()
            log = (box_dir / "data" / "agent.log").read_text(errors="replace")
            assert cases, f"the agent's first alert did not become a case; its log:\n{log}"
            assert agent.returncode is None, f"the agent stopped; its log:\n{log}"
        case = cases[0]
        assert (case["camera_id"], case["category"]) == ("cam-01", "06901")
        detail = (await h.http.get(f"/api/cases/{case['case_no']}", headers=TECH)).json()
        assert detail["facts"]["box_id"] == "edge-01"
        print(
            f"token → first case {t_case - t0:.2f} s: enrol {t_enrolled - t0:.2f} s, "
            f"agent start → first case {t_case - t_agent:.2f} s"
        )
        assert "u'edge-01'" in broker.log(), "the agent did not log in as the enrolled box"

        # the same credentials cannot publish under another box's prefix
        box = Client(broker.port, user, password)
        assert box.connect() == 0, "the enrolled box could not log in"
        try:
            now = int(time.time() * 1000)
            forged = make_alert("edge-02", camera_id="cam-03", started_at_ms=now, updated_at_ms=now)
            assert (
                box.publish(topic_for(topic_prefix, TopicKind.EVENT, "edge-02"), encode(forged))
                == 135
            )
            await asyncio.sleep(0.5)
            assert not [
                c
                for c in (await h.http.get("/api/cases", headers=TECH)).json()
                if c.get("box_id") == "edge-02"
            ]
        finally:
            box.stop()
    assert "edge-01" in (broker.folder / "acl").read_text()


@contextlib.asynccontextmanager
async def running_agent(
    config: Path, credentials: Path, workdir: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m edge run`` as the systemd unit runs it (EnvironmentFile, WorkingDirectory);
    its output goes to ``agent.log`` in the working directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWALL_")}
    env |= read_env_file(credentials)
    with (workdir / "agent.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "edge",
            "run",
            "--config",
            str(config),
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


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

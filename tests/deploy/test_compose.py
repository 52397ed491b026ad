"""The compose stack: ``docker compose config`` (or the standalone ``docker-compose``) accepts
it, and what it must hold is there (auth + ACL broker, Redis AOF, strict hub settings)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.settings import load_hub_settings

DOCKER = Path(__file__).resolve().parents[2] / "docker"
COMPOSE = DOCKER / "compose.yaml"
ENV = {"GRIDWALL_HUB_MQTT_PASSWORD": "pw-for-config-check", "GRIDWALL_HUB_TOKENS": "t operator"}


def compose_cmd() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_config_passes() -> None:
    cmd = compose_cmd()
    if cmd is None:
        pytest.skip("neither 'docker compose' nor 'docker-compose' is installed")
    out = subprocess.run(
        [*cmd, "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    rendered = yaml.safe_load(out.stdout)
    assert set(rendered["services"]) == {"redis", "broker-files", "mosquitto", "hub"}


def test_compose_refuses_to_start_without_secrets() -> None:
    cmd = compose_cmd()
    if cmd is None:
        pytest.skip("neither 'docker compose' nor 'docker-compose' is installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWALL_")}
    out = subprocess.run(
        [*cmd, "-f", str(COMPOSE), "config"], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode != 0 and "set GRIDWALL_HUB_MQTT_PASSWORD" in out.stderr


def _services() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return dict(doc["services"])


def test_redis_keeps_an_append_only_file() -> None:
    cmd = _services()["redis"]["command"]
    assert cmd[cmd.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in _services()["redis"]["volumes"])


def test_broker_needs_logins_and_reads_the_hub_rendered_acl() -> None:
    conf = (DOCKER / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    assert "allow_anonymous false" in conf
    assert "password_file /mosquitto/auth/passwd" in conf
    assert "acl_file /mosquitto/auth/acl" in conf
    mosq = _services()["mosquitto"]
    assert "broker-auth:/mosquitto/auth:ro" in mosq["volumes"]
    assert "broker-auth:/broker" in _services()["hub"]["volumes"]
    assert mosq["depends_on"]["broker-files"]["condition"] == "service_completed_successfully"


def test_compose_hub_settings_are_valid() -> None:
    s = load_hub_settings(DOCKER / "hub" / "hub.yaml", env={})
    assert s.enrol.broker_dir == Path("/broker")
    assert s.mqtt.username_env == "GRIDWALL_HUB_MQTT_USER"
    assert s.mqtt.password_env == s.enrol.hub_password_env


@pytest.mark.parametrize("dockerfile", ["edge.Dockerfile", "hub/Dockerfile"])
def test_dockerfile_copies_only_what_exists(dockerfile: str) -> None:
    repo = DOCKER.parent
    for line in (DOCKER / dockerfile).read_text().splitlines():
        if line.startswith("COPY "):
            *sources, _dest = line.split()[1:]
            for src in sources:
                assert (repo / src).exists(), f"{dockerfile}: COPY {src} does not exist"

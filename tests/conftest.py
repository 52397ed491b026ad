"""Shared fixtures: where the real broker and Redis are, and per-test isolation.

Environment:
  GRIDWALL_TEST_MQTT_URL   broker for tests (default mqtt://127.0.0.1:1883)
  GRIDWALL_TEST_REDIS_URL  Redis for tests (default redis://127.0.0.1:6379/15: its own
                           database, so a running demo on database 0 is never touched)
Each test gets its own MQTT topic prefix (``test-<hex>``) and Redis key prefix.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


@pytest.fixture(scope="session")
def mqtt_url() -> str:
    return os.environ.get("GRIDWALL_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("GRIDWALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def topic_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def district_dir() -> Path:
    return CONFIGS / "district"

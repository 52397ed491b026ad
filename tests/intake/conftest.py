"""Intake tests run the hub as tests/hub does (real Redis and Mosquitto, HTTP on a free port,
fake clock), with two more responders: a grid member of another grid and an admin."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from redis.asyncio import Redis

from hub.api.auth import Principal
from hub.settings import HubSettings
from tests.hub.conftest import (  # noqa: F401  (fixtures)
    MONDAY_9,
    OP,
    TOKENS,
    Hub,
    hub_settings,
    publisher,
    redis,
    running_hub,
    test_district,
    wait_for,
)

# cam-01's zone looks at this point, in grid 339901001001007
PILE = (120.309261, 30.105381)
GRID = "339901001001007"
OWN_MEMBER = {"Authorization": "Bearer resp-token-0123456789abc"}  # p-339901001001007-m
OTHER = "p-339901001001001-m"
OTHER_MEMBER = {"Authorization": "Bearer other-member-token-0123456"}
INTAKE_TOKENS = TOKENS | {"other-member-token-0123456": Principal(OTHER, "responder", OTHER)}


async def _started(server: uvicorn.Server) -> bool:
    return bool(server.started)


def intake_hub(settings: HubSettings) -> contextlib.AbstractAsyncContextManager[Hub]:
    """The hub of tests/hub with the intake tests' tokens and a longer start wait."""
    return running_hub(settings, tokens=INTAKE_TOKENS, timeout_s=20)


@pytest.fixture
async def hub(hub_settings: HubSettings, redis: Redis) -> AsyncIterator[Hub]:  # noqa: F811
    async with intake_hub(hub_settings) as h:
        yield h


async def keys_like(r: Redis, pattern: str) -> list[str]:
    return [k.decode() async for k in r.scan_iter(match=pattern, count=1000)]


def patrol_form(report_id: str, **kw: Any) -> dict[str, str]:
    form = {"report_id": report_id, "category": "06010", "lon": str(PILE[0]), "lat": str(PILE[1])}
    form.update({k: str(v) for k, v in kw.items()})
    return form

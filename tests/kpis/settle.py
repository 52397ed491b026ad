"""Waiting for the live KPIs: the counters follow the change stream (``hub.kpis``), so a
figure moves a few milliseconds after the case event that moves it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx


async def kpis_when(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    ok: Callable[[dict[str, Any]], bool],
    params: dict[str, str] | None = None,
    timeout_s: float = 5.0,
) -> dict[str, Any]:
    """``GET /api/kpis`` until ``ok(body)`` or ``timeout_s``; the last body either way (the
    caller's asserts then say what differs)."""
    end = time.monotonic() + timeout_s
    while True:
        body: dict[str, Any] = (await http.get("/api/kpis", headers=headers, params=params)).json()
        if ok(body) or time.monotonic() > end:
            return body
        await asyncio.sleep(0.02)

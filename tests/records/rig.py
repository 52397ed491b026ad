"""A hub runtime on its own Redis prefix with cases made through the real paths (alerts
through the inbox and the correlation step, actions through the case service), and helpers
to read the case history back."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from sqlalchemy import Engine, select

from contracts.codec import encode
from hub.domain.clock import FakeClock
from hub.records.copier import Copier
from hub.records.schema import metadata
from hub.runtime import HubRuntime
from hub.store.keys import text
from tests.hub.conftest import make_alert

# per case (in creation order, round robin): the actions taken after its dispatch
SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("accept", "start", "resolve", "verify", "close"),
    ("accept", "escalate"),
    ("return", "dispatch", "accept"),
    (),
)


async def make_cases(rt: HubRuntime, r: Redis, clock: FakeClock, cameras: int = 8) -> list[str]:
    """One alert from each of the first ``cameras`` cameras (each zone's first category),
    correlated into cases; then each case walks one of ``SCRIPTS``."""
    for cam in list(rt.district.cameras.values())[:cameras]:
        zone = cam.zones[0]
        alert = make_alert(
            cam.box_id,
            camera_id=cam.camera_id,
            zone_id=zone.zone_id,
            category=zone.categories[0],
            confidence=0.99,
            started_at_ms=clock.now_ms(),
            updated_at_ms=clock.now_ms(),
        )
        await r.xadd(rt.keys.inbox, {"k": "event", "p": encode(alert), "rx": 0})
    while await rt.processor.step():
        pass
    numbers = [text(n) for n in await r.zrange(rt.keys.cases, 0, -1)]
    for i, no in enumerate(numbers):
        for action in SCRIPTS[i % len(SCRIPTS)]:
            clock.advance(minutes=7)
            await rt.cases.act(no, action, "operator:op1")
    return numbers


async def more_events(rt: HubRuntime, numbers: list[str], clock: FakeClock) -> None:
    for no in numbers:
        clock.advance(minutes=3)
        await rt.cases.act(no, "note", "operator:op1", note="follow-up")


async def events_in_redis(rt: HubRuntime, r: Redis) -> int:
    numbers = [text(n) for n in await r.zrange(rt.keys.cases, 0, -1)]
    return sum([int(await r.llen(rt.keys.case_events(no))) for no in numbers])


def copy_all(copier: Copier) -> int:
    n = 0
    while True:
        b = copier.copy_batch()
        assert not b.busy
        n += b.events + b.caught_up_from_logs
        if b.entries == 0 and not b.caught_up_from_logs:
            return n


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the position, in key order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in metadata.tables.items():
            if name == "records_position":
                continue
            order = list(table.primary_key.columns)
            out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out

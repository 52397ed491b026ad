"""``GET /api/reports`` through the running hub: figures of the cases it copied into
PostgreSQL, the cases behind a row, bad input refused, and 404 while the history is off."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from hub.api.auth import Principal
from hub.domain.area import Area
from hub.records.schema import events
from hub.settings import HubSettings, RecordsSettings
from tests.hub.conftest import OP, TOKENS, running_hub, wait_for
from tests.records.rig import events_in_redis, make_cases

pytestmark = pytest.mark.integration
RESPONDER = {"Authorization": "Bearer resp-token-0123456789abc"}
STREET = {"Authorization": "Bearer street-operator-0123456789"}
STREET_TOKEN = {
    "street-operator-0123456789": Principal("op-s", "operator", None, Area("street", "339901001"))
}


async def test_reports_from_the_copied_history(
    hub_settings: HubSettings, redis: Redis, database_url: str
) -> None:
    settings = hub_settings.model_copy(
        update={"records": RecordsSettings(database_url=database_url)}
    )
    async with running_hub(settings, tokens=TOKENS | STREET_TOKEN) as hub:
        assert hub.rt.records is not None
        engine = hub.rt.records.engine
        await make_cases(hub.rt, redis, hub.clock, cameras=8)

        def copied() -> int:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(events)).scalar_one())

        async def all_copied() -> bool:
            n = await asyncio.to_thread(copied)
            return n > 0 and n == await events_in_redis(hub.rt, redis)

        await wait_for(all_copied, 30)
        numbers = sorted(c["case_no"] for c in await hub.cases())
        q = {"period": "month", "day": "2026-11-23", "level": "county"}
        got = await hub.http.get("/api/reports", params=q, headers=OP)
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["start"] == "2026-11-01T00:00:00+08:00"
        [row] = body["rows"]
        assert (row["key"], row["cases"]) == ("339901", len(numbers))
        behind = await hub.http.get("/api/reports", params={**q, "key": "339901"}, headers=OP)
        assert behind.json()["cases"] == numbers
        streets = await hub.http.get("/api/reports", params={**q, "level": "street"}, headers=OP)
        assert sum(r["cases"] for r in streets.json()["rows"]) == len(numbers)
        october = await hub.http.get("/api/reports", params={**q, "day": "2026-10-31"}, headers=OP)
        assert october.json()["rows"] == []
        for bad, why in (({"level": "planet"}, "level must be"), ({"period": "year"}, "period")):
            r = await hub.http.get("/api/reports", params={**q, **bad}, headers=OP)
            assert r.status_code == 422 and why in r.text, r.text
        assert (await hub.http.get("/api/reports", headers=RESPONDER)).status_code == 403

        # a street's token: its street and below only
        rows = {r["key"]: r for r in streets.json()["rows"]}
        mine, other = "339901001", next(s for s in hub.rt.district.streets if s not in rows)
        own = await hub.http.get("/api/reports", params={**q, "level": "street"}, headers=STREET)
        assert own.json()["rows"] == [rows[mine]], own.text
        grids = await hub.http.get("/api/reports", params={**q, "level": "grid"}, headers=STREET)
        assert sum(r["cases"] for r in grids.json()["rows"]) == rows[mine]["cases"]
        assert all(r["key"].startswith(mine) for r in grids.json()["rows"])
        up = await hub.http.get("/api/reports", params=q, headers=STREET)
        assert up.status_code == 403 and "above your area" in up.text, up.text
        for key in (other, other + "001"):
            level = "street" if len(key) == 9 else "community"
            r = await hub.http.get(
                "/api/reports", params={**q, "level": level, "key": key}, headers=STREET
            )
            assert r.status_code == 404, r.text


async def test_reports_need_the_history(hub_settings: HubSettings, redis: Redis) -> None:
    async with running_hub(hub_settings) as hub:
        got = await hub.http.get("/api/reports", headers=OP)
        assert got.status_code == 404 and "GRIDWALL_DATABASE_URL" in got.text

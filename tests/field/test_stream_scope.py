"""``/api/stream`` per role, over real HTTP with real tokens: each responder gets only the
changes of cases they are on (as of each change: the escalation that takes a case off them
shows, nothing after it), operators get everything, and a responder resumes from
``Last-Event-ID`` without a gap or a foreign change."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from hub.settings import HubSettings
from tests.field.harness import field_hub
from tests.hub.conftest import Publisher, wait_for

pytestmark = pytest.mark.integration
OPERATOR = "operator-token-0123456789"


async def read_stream(
    base: str, token: str, *, since: str | None = None, last_id: str | None = None, want: int = 0
) -> list[dict[str, Any]]:
    """Events of one connection: until ``want`` arrived, or (want=0) until the backlog is
    drained (the first keep-alive: the hub's read found nothing new for a second)."""
    headers = {"Authorization": f"Bearer {token}"}
    if last_id:
        headers["Last-Event-ID"] = last_id
    params = {"since": since} if since else {}
    got: list[dict[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=base, timeout=15) as c,
        c.stream("GET", "/api/stream", headers=headers, params=params) as r,
    ):
        assert r.status_code == 200, await r.aread()
        ev: dict[str, str] = {}
        async for line in r.aiter_lines():
            if line == ": keep-alive" and not want:
                return got
            if line:
                key, _, value = line.partition(": ")
                ev[key] = value
                continue
            if "data" in ev:
                data = json.loads(ev["data"])
                got.append({"id": ev["id"], "kind": ev["event"], **data})
                if want and len(got) >= want:
                    return got
            ev = {}
    return got


def brief(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["ref"], e["change"]["action"]) for e in events if e["kind"] == "case"]


async def test_each_responder_streams_only_their_cases(
    hub_settings: HubSettings, publisher: Publisher
) -> None:
    async with field_hub(hub_settings) as h:
        op = {"Authorization": f"Bearer {OPERATOR}"}
        ctx, district = h.rt.ctx, h.rt.district
        grid_a = ctx.zones[("cam-01", "ground")].grid_code
        other = next(
            cam
            for (cam, zone), z in ctx.zones.items()
            if zone == "ground" and z.grid_code not in (None, grid_a)
        )
        now = int(time.time() * 1000)
        # a doubtful alarm waits for an operator: an alarm change no responder gets
        doubtful = {"category": "06036", "confidence": 0.3}
        publisher.alert("edge-01", started_at_ms=now, updated_at_ms=now, **doubtful)
        publisher.alert("edge-01", camera_id="cam-01", started_at_ms=now, updated_at_ms=now)
        box_b = district.cameras[other].box_id
        publisher.alert(box_b, camera_id=other, started_at_ms=now, updated_at_ms=now)

        async def two_cases() -> list[dict[str, Any]] | None:
            cases = (await h.http.get("/api/cases", headers=op)).json()
            return cases if len(cases) == 2 and all(c["assignees"] for c in cases) else None

        cases = await wait_for(two_cases, 10)
        a = next(c for c in cases if c["grid_code"] == grid_a)
        b = next(c for c in cases if c is not a)
        a_no, b_no = a["case_no"], b["case_no"]
        a_person, b_person = a["assignees"][0], b["assignees"][0]
        assert a_person not in b["assignees"] and b_person not in a["assignees"]
        assert grid_a is not None
        policy = ctx.policy_for(grid_a, a["category"])
        upper = ctx.router.people_for(policy.steps[1].notify, grid_a, a["category"])
        c_person = next(p for p in upper if p not in a["assignees"] and p not in b["assignees"])

        # a_person follows the live stream from now on
        live = asyncio.create_task(read_stream(h.base_url, f"resp-{a_person}", want=2))
        await asyncio.sleep(0.5)
        act = f"/api/cases/{a_no}/actions"
        me = {"Authorization": f"Bearer resp-{a_person}"}
        assert (await h.http.post(act, json={"action": "accept"}, headers=me)).status_code == 200
        assert (await h.http.post(act, json={"action": "escalate"}, headers=op)).status_code == 200
        note = {"action": "note", "note": "upper grid is on it"}
        assert (await h.http.post(act, json=note, headers=op)).status_code == 200
        live_events = await asyncio.wait_for(live, 10)
        assert brief(live_events) == [(a_no, "accept"), (a_no, "escalate")]

        everything = await read_stream(h.base_url, OPERATOR, since="0")
        seen = brief(everything)
        assert {(a_no, "dispatch"), (b_no, "dispatch"), (a_no, "note")} <= set(seen)
        assert any(e["kind"] == "alarm_queued" for e in everything), "operators see alarms"

        mine = await read_stream(h.base_url, f"resp-{a_person}", since="0")
        assert brief(mine) == [(a_no, "dispatch"), (a_no, "accept"), (a_no, "escalate")]
        assert [e["id"] for e in mine[1:]] == [e["id"] for e in live_events]
        theirs = await read_stream(h.base_url, f"resp-{b_person}", since="0")
        assert brief(theirs) == [(b_no, "dispatch")]
        upper_tier = await read_stream(h.base_url, f"resp-{c_person}", since="0")
        assert brief(upper_tier) == [(a_no, "escalate"), (a_no, "note")]
        assert all(e["kind"] == "case" for e in mine + theirs + upper_tier)

        # resumable: after the dispatch, exactly the rest, by header and by query
        resumed = await read_stream(h.base_url, f"resp-{a_person}", last_id=mine[0]["id"])
        assert [e["id"] for e in resumed] == [e["id"] for e in mine[1:]]
        resumed_q = await read_stream(h.base_url, f"resp-{c_person}", since=upper_tier[0]["id"])
        assert brief(resumed_q) == [(a_no, "note")]

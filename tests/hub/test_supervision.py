"""Supervision through the running hub (real Redis, HTTP, a fake clock): the colours of an
open case as its time runs, one notice when it turns red, operators' orders."""

from __future__ import annotations

from typing import Any

import httpx
from redis.asyncio import Redis

from contracts.codec import encode
from tests.hub.conftest import MONDAY_9, OP, Hub, make_alert, wait_for

RESPONDER = {"Authorization": "Bearer resp-token-0123456789abc"}
MIN = 60_000


async def _one_case(hub: Hub, r: Redis) -> str:
    alert = make_alert("edge-01", started_at_ms=MONDAY_9, updated_at_ms=MONDAY_9)
    await r.xadd(hub.rt.keys.inbox, {"k": "event", "p": encode(alert), "rx": 0})
    cases = await wait_for(hub.cases, 30)
    return str(cases[0]["case_no"])


async def _board(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    got = await http.get("/api/supervision", headers=OP)
    assert got.status_code == 200, got.text
    return list(got.json())


async def _timeline(hub: Hub, no: str) -> list[dict[str, Any]]:
    got = await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)
    assert got.status_code == 200, got.text
    return list(got.json())


async def test_colours_run_with_the_clock_and_red_gives_one_notice(hub: Hub, redis: Redis) -> None:
    no = await _one_case(hub, redis)
    # 06010 in 城关街道 (routine_2h_city): dispatched Monday 09:00, 120 working minutes
    seen = []
    for minutes in (0, 30, 45, 30):  # 09:00, 09:30, 10:15, 10:45
        hub.clock.advance(minutes=minutes)
        [row] = await _board(hub.http)
        seen.append((row["colour"], row["share"]))
    assert seen == [("green", 0.0), ("green", 0.25), ("yellow", 0.625), ("red", 0.875)]
    assert row["case_no"] == no and row["due_ms"] == MONDAY_9 + 120 * MIN
    assert await hub.rt.supervision.scan() == 1
    assert await hub.rt.supervision.scan() == 0  # one notice per time limit
    # past the hubs' 60 s guard, the log itself says the notice was given
    guards = [k async for k in redis.scan_iter(match=f"{hub.rt.keys.prefix}:supervision:*")]
    assert len(guards) == 1
    await redis.delete(*guards)
    hub.clock.advance(minutes=30)
    assert await hub.rt.supervision.scan() == 0
    [notice] = [e for e in await _timeline(hub, no) if e["data"].get("supervision")]
    assert notice["actor"] == "system:supervision" and notice["action"] == "note"
    assert notice["data"]["supervision"] == "notice" and notice["data"]["share"] == 0.875
    assert notice["data"]["notify"], "the handler's superiors are named"
    last: Any = await redis.xrevrange(hub.rt.keys.changes, count=1)
    assert b'"supervision": "notice"' in last[0][1][b"event"]  # the rooms see it live


async def test_an_operator_orders_with_a_note_and_deadline(hub: Hub, redis: Redis) -> None:
    no = await _one_case(hub, redis)
    hub.clock.advance(minutes=90)
    url = f"/api/cases/{no}/supervision-orders"
    now = hub.clock.now_ms()
    body = {"note": "今天下班前清运完毕并回传照片", "deadline_ms": now + 120 * MIN}
    assert (await hub.http.post(url, json=body, headers=RESPONDER)).status_code == 403
    past = await hub.http.post(url, json={**body, "deadline_ms": now - 1}, headers=OP)
    assert past.status_code == 422 and "not after now" in past.text
    blank = await hub.http.post(url, json={**body, "note": "  "}, headers=OP)
    assert blank.status_code == 422 and "needs a note" in blank.text
    missing = await hub.http.post(
        "/api/cases/33990120991231100001/supervision-orders", json=body, headers=OP
    )
    assert missing.status_code == 404
    ok = await hub.http.post(url, json=body, headers=OP)
    assert ok.status_code == 200, ok.text
    [order] = [e for e in await _timeline(hub, no) if e["data"].get("supervision")]
    assert order["actor"] == "operator:op1" and order["note"] == body["note"]
    assert order["data"]["deadline_ms"] == body["deadline_ms"]
    assert (order["data"]["colour"], order["data"]["share"]) == ("yellow", 0.75)
    [row] = await _board(hub.http)
    assert row["orders"] == 1
    # a closed case leaves the board and takes no order
    for action in ("accept", "resolve", "verify", "close"):
        await hub.rt.cases.act(no, action, "operator:op1")
    assert await _board(hub.http) == []
    closed = await hub.http.post(url, json={**body, "deadline_ms": now + 500 * MIN}, headers=OP)
    assert closed.status_code == 422 and "only an open case" in closed.text

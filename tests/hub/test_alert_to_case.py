"""Must show: an alert becomes a case in the right grid, with the right number, category,
deadline and assignee, visible through the API and the live stream; two cameras on one dump
site give one case and a re-trigger updates the alarm."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.hub.conftest import MONDAY_9, OP, Hub, Publisher, wait_for

pytestmark = pytest.mark.integration


async def _one_case(hub: Hub) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        cases = await hub.cases()
        return cases[0] if cases else None

    return await wait_for(probe)


async def _read_stream(base: str, want: int, since: str | None = None) -> list[dict[str, str]]:
    headers = dict(OP)
    if since:
        headers["Last-Event-ID"] = since
    got: list[dict[str, str]] = []
    async with (
        httpx.AsyncClient(base_url=base, timeout=10) as c,
        c.stream("GET", "/api/stream", headers=headers, params={"since": since or "0"}) as r,
    ):
        ev: dict[str, str] = {}
        async for line in r.aiter_lines():
            if not line:
                if "data" in ev:
                    got.append(ev)
                ev = {}
                if len(got) >= want:
                    return got
                continue
            key, _, value = line.partition(": ")
            ev[key] = value
    return got


async def test_alert_becomes_case_in_the_zone_grid(hub: Hub, publisher: Publisher) -> None:
    publisher.alert("edge-01", camera_id="cam-01")
    case = await _one_case(hub)
    # cam-01's pole stands in grid ...006; its zone looks into ...007
    assert case["grid_code"] == "339901001001007"
    assert case["category"] == "06010"
    assert case["case_no"] == "33990120261123100001"  # county + Monday + video AI + first
    assert case["state"] == "dispatched"
    assert case["assignees"] == ["p-339901001001007-m", "p-339901001001007-l"]
    detail = (await hub.http.get(f"/api/cases/{case['case_no']}", headers=OP)).json()
    # 城关街道 overrides 06010 to routine_2h_city: accept 30, dispose 120 working minutes
    assert detail["facts"]["grid_code"] == "339901001001007"
    timeline = (await hub.http.get(f"/api/cases/{case['case_no']}/timeline", headers=OP)).json()
    dispatch = timeline[-1]
    assert [e["action"] for e in timeline] == ["report", "file", "dispatch"]
    assert dispatch["data"]["accept_due_ms"] == MONDAY_9 + 30 * 60_000
    assert dispatch["data"]["dispose_due_ms"] == MONDAY_9 + 120 * 60_000
    # the live stream carries the three events, and resumes after the first one's id
    events = await asyncio.wait_for(_read_stream(hub.base_url, 3), 10)
    assert [json.loads(e["data"])["change"]["action"] for e in events] == [
        "report",
        "file",
        "dispatch",
    ]
    rest = await asyncio.wait_for(_read_stream(hub.base_url, 2, since=events[0]["id"]), 10)
    assert [e["id"] for e in rest] == [events[1]["id"], events[2]["id"]]
    # a responder sees their own case, another grid's responder would not
    resp = {"Authorization": "Bearer resp-token-0123456789abc"}
    assert len((await hub.http.get("/api/cases", headers=resp)).json()) == 1
    assert (await hub.http.get("/api/cases")).status_code == 401
    # the backlog gauges: one open case, overdue once the clock passes its dispose deadline
    assert _gauges(await hub.http.get("/metrics")) == (1.0, 0.0)
    hub.clock.set(dispatch["data"]["dispose_due_ms"] + 1)
    assert _gauges(await hub.http.get("/metrics")) == (1.0, 1.0)


def _gauges(resp: httpx.Response) -> tuple[float, float]:
    values = dict(
        line.rsplit(" ", 1)
        for line in resp.text.splitlines()
        if line.startswith(("gridwall_hub_open_cases ", "gridwall_hub_overdue_cases "))
    )
    return float(values["gridwall_hub_open_cases"]), float(values["gridwall_hub_overdue_cases"])


async def test_two_cameras_one_site_one_case_and_retrigger_updates(
    hub: Hub, publisher: Publisher
) -> None:
    first = publisher.alert("edge-01", camera_id="cam-01")
    case = await _one_case(hub)
    publisher.alert("edge-01", camera_id="cam-91")  # the twin camera, ~10 m away
    publisher.alert(
        "edge-01",
        camera_id="cam-01",
        event_id=first.event_id,
        type="update",
        seq=1,
        updated_at_ms=MONDAY_9 + 5000,
    )
    publisher.alert("edge-01", camera_id="cam-01", type="new", seq=0)  # re-trigger, new id

    async def both_alarms() -> list[dict[str, Any]] | None:
        r = await hub.http.get("/api/alarms", headers=OP)
        alarms = r.json()
        ok = len(alarms) == 2 and all(a.get("case_no") for a in alarms)
        counts = sorted(int(a["count"]) for a in alarms)
        return alarms if ok and counts == [1, 3] else None

    alarms = await wait_for(both_alarms)
    assert {a["case_no"] for a in alarms} == {case["case_no"]}
    cases = await hub.cases()
    assert len(cases) == 1
    view = await hub.rt.store.view(case["case_no"])
    assert set(view.alarms) == {"cam-01:ground:06010", "cam-91:ground:06010"}


async def test_low_confidence_waits_for_operator(hub: Hub, publisher: Publisher) -> None:
    publisher.alert("edge-01", camera_id="cam-02", confidence=0.5)

    async def queued() -> list[dict[str, Any]] | None:
        return (await hub.http.get("/api/verification-queue", headers=OP)).json() or None

    (alarm,) = await wait_for(queued)
    assert await hub.cases() == []
    r = await hub.http.post(f"/api/verification-queue/{alarm['key']}/confirm", headers=OP)
    assert r.status_code == 200, r.text
    (case,) = await hub.cases()
    assert case["case_no"] == r.json()["case_no"] and case["grid_code"] == "339901001002007"
    timeline = (await hub.http.get(f"/api/cases/{case['case_no']}/timeline", headers=OP)).json()
    assert timeline[1]["actor"] == "operator:op1"

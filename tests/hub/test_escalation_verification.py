"""Must show: under a fake clock a case nobody accepts escalates grid → upper grid →
enforcement once per step, the KPI split follows the closing tier; verification by camera."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from contracts.codec import decode_json
from contracts.messages import VerifyRequest
from contracts.topics import TopicKind, subscription
from tests.hub.conftest import OP, Hub, Publisher, wait_for
from tests.hub.fake_edge import FakeEdge
from tests.kpis.settle import kpis_when

pytestmark = pytest.mark.integration


async def _case(hub: Hub) -> str:
    async def probe() -> str | None:
        cases = await hub.cases()
        return str(cases[0]["case_no"]) if cases else None

    return await wait_for(probe)


async def _act(hub: Hub, no: str, action: str) -> dict[str, Any]:
    r = await hub.http.post(f"/api/cases/{no}/actions", headers=OP, json={"action": action})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_unaccepted_case_escalates_once_per_step(hub: Hub, publisher: Publisher) -> None:
    publisher.alert("edge-01", camera_id="cam-01")  # routine_2h_city: accept 30, dispose 120
    no = await _case(hub)
    assert await hub.rt.timers.run_due() == 0
    hub.clock.advance(minutes=29)
    assert await hub.rt.timers.run_due() == 0
    hub.clock.advance(minutes=1)  # accept deadline: grid → upper grid
    assert await hub.rt.timers.run_due() == 1
    detail = (await hub.http.get(f"/api/cases/{no}", headers=OP)).json()
    assert (detail["tier_name"], detail["escalations"]) == ("upper_grid", [1])
    assert detail["assignees"] == ["p-339901001001-duty", "p-339901001-cmd"]
    hub.clock.advance(minutes=29)  # 59 minutes: not yet half of the disposal time
    assert await hub.rt.timers.run_due() == 0
    hub.clock.advance(minutes=1)  # half of 120 working minutes: upper grid → enforcement
    assert await hub.rt.timers.run_due() == 1
    hub.clock.advance(minutes=600)
    assert await hub.rt.timers.run_due() == 0  # the last step never escalates
    detail = (await hub.http.get(f"/api/cases/{no}", headers=OP)).json()
    assert (detail["tier_name"], detail["escalations"]) == ("enforcement", [1, 2])
    for action in ("accept", "resolve", "verify", "close"):
        await _act(hub, no, action)
    kpi = await kpis_when(hub.http, OP, lambda k: k["total"]["closed"] > 0, {"day": "2026-11-23"})
    assert kpi["total"]["tier_split"] == {"grid": 0, "upper_grid": 0, "enforcement": 1}
    assert kpi["total"]["closed"] == 1 and kpi["total"]["on_time_rate"] == 0.0


async def test_case_closed_in_grid_counts_for_the_grid_tier(hub: Hub, publisher: Publisher) -> None:
    publisher.alert("edge-01", camera_id="cam-02")
    no = await _case(hub)
    hub.clock.advance(minutes=10)
    await _act(hub, no, "accept")
    hub.clock.advance(minutes=100)
    assert await hub.rt.timers.run_due() == 0  # accepted in time: no escalation
    for action in ("resolve", "verify", "close"):
        await _act(hub, no, action)
    kpi = await kpis_when(hub.http, OP, lambda k: k["total"]["closed"] > 0, {"by": "street"})
    assert kpi["total"]["tier_split"]["grid"] == 1
    assert kpi["total"]["median_accept_s"] == 600.0
    assert kpi["by"]["339901001"]["closed"] == 1


@pytest.mark.parametrize(
    ("answers", "state", "requests"),
    [(["clear", "clear"], "closed", 2), (["clear", "present"], "rework", 2)],
)
async def test_verification_by_camera(
    hub: Hub,
    publisher: Publisher,
    mqtt_url: str,
    topic_prefix: str,
    answers: list[str],
    state: str,
    requests: int,
) -> None:
    edge = FakeEdge("127.0.0.1", int(mqtt_url.rsplit(":", 1)[1]), topic_prefix, answers)
    try:
        await asyncio.sleep(0)  # the edge subscribed synchronously in connect+subscribe above
        publisher.alert("edge-01", camera_id="cam-01")
        no = await _case(hub)
        await _act(hub, no, "accept")
        await _act(hub, no, "resolve")

        async def settled() -> list[dict[str, Any]] | None:
            tl = (await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)).json()
            return tl if tl[-1]["to_state"] == state else None

        timeline = await wait_for(settled)
        assert edge.requests == requests
        last = [e for e in timeline if e["actor"].startswith("camera:")]
        assert last[-1]["actor"] == "camera:cam-01"
        if state == "closed":
            assert [e["action"] for e in timeline[-2:]] == ["verify", "close"]
        else:
            assert json.dumps(timeline[-1]["reason"]) == '"camera still sees the problem"'
    finally:
        edge.close()


async def test_silent_box_hands_the_resolved_case_to_a_human(
    hub: Hub, publisher: Publisher, mqtt_url: str, topic_prefix: str
) -> None:
    """No box answers the verify request: after ``verification.timeout_s`` (fake clock) the
    case is marked for human verification instead of waiting; a late answer changes nothing;
    an operator then verifies it."""
    requests: list[VerifyRequest] = []
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.on_message = lambda _c, _u, m: requests.append(
        decode_json(VerifyRequest, bytes(m.payload))
    )
    watcher.connect("127.0.0.1", int(mqtt_url.rsplit(":", 1)[1]))
    watcher.subscribe(subscription(topic_prefix, TopicKind.VERIFY_REQUEST, "edge-01"), qos=1)
    watcher.loop_start()
    try:
        timeout_s = hub.rt.settings.verification.timeout_s
        publisher.alert("edge-01", camera_id="cam-01")
        no = await _case(hub)
        await _act(hub, no, "accept")
        await _act(hub, no, "resolve")
        await wait_for(lambda: _value(requests))
        assert requests[0].case_no == no
        summary = (await hub.http.get(f"/api/cases/{no}", headers=OP)).json()
        assert summary["verification"] == "camera"
        hub.clock.advance(seconds=timeout_s - 1)
        assert await hub.rt.timers.run_due() == 0  # still waiting for the camera
        hub.clock.advance(seconds=1)
        assert await hub.rt.timers.run_due() == 1
        assert await hub.rt.timers.run_due() == 0  # once
        detail = (await hub.http.get(f"/api/cases/{no}", headers=OP)).json()
        assert (detail["state"], detail["verification"]) == ("resolved", "human")
        tl = (await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)).json()
        last = tl[-1]
        assert (last["action"], last["actor"], last["data"]) == (
            "note",
            "system:timer",
            {"verification": "human"},
        )
        assert f"did not answer within {timeout_s:g} s" in last["note"]
        # the box answers at last: too late, the request is gone and the case stays with a human
        await hub.rt.cases.on_verify_response(requests[0].request_id, "clear", "cam-01")
        tl_after = (await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)).json()
        assert len(tl_after) == len(tl)
        for action in ("verify", "close"):
            await _act(hub, no, action)
        assert (await hub.http.get(f"/api/cases/{no}", headers=OP)).json()["state"] == "closed"
    finally:
        watcher.disconnect()
        watcher.loop_stop()


async def _value(items: list[VerifyRequest]) -> bool | None:
    return True if items else None

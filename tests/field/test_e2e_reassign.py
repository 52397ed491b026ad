"""Reassign and 1+1+X through the hub's HTTP API reach the people they name: the new
assignee's MQTT topic gets a dispatch push within 2 s, the person taken off gets none, and
the newly named commander, lead and cooperating people of a joint command are woken."""

from __future__ import annotations

import time
from typing import Any

import pytest
from redis.asyncio import Redis

from hub.settings import HubSettings
from tests.field.harness import FieldHub, Listener, field_hub, flushed, pushes, until
from tests.hub.conftest import Publisher

pytestmark = pytest.mark.integration
OPERATOR = {"Authorization": "Bearer operator-token-0123456789"}


async def dispatched_case(h: FieldHub, publisher: Publisher, listener: Listener) -> str:
    """An alert becomes a case dispatched to its grid's people (their pushes arrive)."""
    now = int(time.time() * 1000)
    publisher.alert("edge-01", started_at_ms=now, updated_at_ms=now)
    assert await until(lambda: pushes(listener), 5), "the dispatch push never arrived"
    return pushes(listener)[0].case_no


async def act(h: FieldHub, no: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await h.http.post(f"/api/cases/{no}/actions", json=body, headers=OPERATOR)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def test_reassign_pushes_the_new_assignee_within_2_s(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher, mqtt_url: str, topic_prefix: str
) -> None:
    listener = Listener(mqtt_url, [f"{topic_prefix}/v1/responder/#"])
    try:
        async with field_hub(hub_settings) as h:
            no = await dispatched_case(h, publisher, listener)
            await flushed(h, redis, listener, topic_prefix, "1")
            before = {p.person_id for p in pushes(listener)}
            case = (await h.http.get(f"/api/cases/{no}", headers=OPERATOR)).json()
            assert set(case["assignees"]) == before
            roster = (await h.http.get(f"/api/cases/{no}/candidates", headers=OPERATOR)).json()
            others = [p["person_id"] for p in roster["roster"] if p["person_id"] not in before]
            assert others, "the test district needs someone outside the first tier"
            new = others[0]
            n_before = len(pushes(listener))

            t0 = time.monotonic()
            await act(h, no, {"action": "reassign", "assignees": [new], "reason": "nearer"})
            got = await until(lambda: [p for p in pushes(listener) if p.person_id == new], 2.0)
            latency_s = time.monotonic() - t0
            assert got, f"no push reached {new}'s topic within 2 s of the reassign"
            assert latency_s < 2.0, f"reassign push took {latency_s:.3f} s"
            push = got[0]
            assert push.kind == "dispatch" and push.case_no == no
            assert push.state == "dispatched" and push.deadline_ms and push.place
            topic = next(m[1] for m in listener.on("/push") if new in m[1])
            assert topic == f"{topic_prefix}/v1/responder/{new}/push"

            # the people taken off get nothing: a push says "a case needs you"
            await flushed(h, redis, listener, topic_prefix, "2")
            assert [p.person_id for p in pushes(listener)[n_before:]] == [new]
            print(f"reassign→push latency {latency_s * 1000:.0f} ms")
    finally:
        listener.close()


async def test_joint_command_wakes_the_newly_named(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher, mqtt_url: str, topic_prefix: str
) -> None:
    listener = Listener(mqtt_url, [f"{topic_prefix}/v1/responder/#"])
    try:
        async with field_hub(hub_settings) as h:
            no = await dispatched_case(h, publisher, listener)
            await flushed(h, redis, listener, topic_prefix, "1")
            assignees = {p.person_id for p in pushes(listener)}
            roster = (await h.http.get(f"/api/cases/{no}/candidates", headers=OPERATOR)).json()
            others = [p["person_id"] for p in roster["roster"] if p["person_id"] not in assignees]
            assert len(others) >= 3, "the test district needs three people outside the tier"
            commander, lead, coop = others[:3]
            n_before = len(pushes(listener))

            body = {"action": "joint", "commander": commander, "lead": lead, "cooperating": [coop]}
            await act(h, no, body)
            named = {commander, lead, coop}

            def woken() -> set[str]:
                return {p.person_id for p in pushes(listener)[n_before:] if p.kind == "dispatch"}

            assert await until(lambda: woken() >= named, 2.0), f"woken: {woken()}"
            await flushed(h, redis, listener, topic_prefix, "2")
            after = pushes(listener)[n_before:]
            assert sorted(p.person_id for p in after if p.kind == "dispatch") == sorted(named)
            # the assignees hear of it as an update: folded into the dispatch's window
            assert {p.person_id for p in after if p.kind != "dispatch"} <= assignees
            assert all(p.case_no == no for p in after)

            # naming the same command again wakes no one
            await act(h, no, body)
            await flushed(h, redis, listener, topic_prefix, "3")
            assert len(pushes(listener)) == n_before + len(after)
    finally:
        listener.close()

"""Ratings of closed cases through the running hub: recorded as the evaluate event, refused
on an open case or out of range, and a poor one reopens and dispatches the case again."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from contracts.codec import encode
from tests.hub.conftest import MONDAY_9, OP, Hub, make_alert, wait_for

RESPONDER = {"Authorization": "Bearer resp-token-0123456789abc"}


async def _closed_case(hub: Hub, r: Redis) -> str:
    alert = make_alert("edge-01", started_at_ms=MONDAY_9, updated_at_ms=MONDAY_9)
    await r.xadd(hub.rt.keys.inbox, {"k": "event", "p": encode(alert), "rx": 0})
    no = str((await wait_for(hub.cases, 30))[0]["case_no"])
    url = f"/api/cases/{no}/evaluation"
    early = await hub.http.post(url, json={"score": 5, "by": "citizen"}, headers=OP)
    assert early.status_code == 409 and "cannot 'evaluate'" in early.text
    for action in ("accept", "resolve", "verify", "close"):
        await hub.rt.cases.act(no, action, "operator:op1")
    return no


async def _post(hub: Hub, no: str, body: dict[str, Any], headers: dict[str, str] = OP) -> Any:
    return await hub.http.post(f"/api/cases/{no}/evaluation", json=body, headers=headers)


async def test_a_good_rating_is_recorded_and_closes_the_matter(hub: Hub, redis: Redis) -> None:
    no = await _closed_case(hub, redis)
    bad = await _post(hub, no, {"score": 7, "by": "citizen"})
    assert bad.status_code == 422 and "from 1 to 5" in bad.text
    no_reopen = await _post(hub, no, {"score": 4, "by": "hotline", "reopen": True})
    assert no_reopen.status_code == 422 and "below 3" in no_reopen.text
    as_citizen = await _post(hub, no, {"score": 4, "by": "citizen"}, RESPONDER)
    assert as_citizen.status_code in (403, 404)
    ok = await _post(hub, no, {"score": 4, "by": "hotline", "comment": "回访: 已清理"})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {
        "case_no": no,
        "state": "evaluated",
        "score": 4,
        "below_threshold": False,
        "reopened": False,
    }
    events = (await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)).json()
    last = events[-1]
    assert (last["action"], last["note"], last["data"]["score"], last["data"]["by"]) == (
        "evaluate",
        "回访: 已清理",
        4,
        "hotline",
    )


async def test_a_poor_rating_reopens_and_dispatches_the_case(hub: Hub, redis: Redis) -> None:
    no = await _closed_case(hub, redis)
    got = await _post(hub, no, {"score": 2, "by": "citizen", "comment": "还有垃圾", "reopen": True})
    assert got.status_code == 200, got.text
    assert got.json()["state"] == "dispatched" and got.json()["below_threshold"] is True
    events = (await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)).json()
    assert [e["action"] for e in events[-3:]] == ["evaluate", "reopen", "dispatch"]

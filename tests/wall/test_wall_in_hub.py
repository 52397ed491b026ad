"""The wall mounted in the hub's app (hub/app.py): behind the hub's tokens, and confirming or
rejecting through the hub's own verification queue and case service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis

from hub.api.auth import Principal
from hub.app import create_app
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from tests.wall.conftest import Publisher

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
OP = {"Authorization": "Bearer wall-operator-token-0123"}
TOKENS = {"wall-operator-token-0123": Principal("op1", "operator")}


async def until(probe, timeout_s: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        got = await probe()
        if got:
            return got
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.05)


@pytest.fixture
async def hub(
    mqtt_url: str, redis_url: str, topic_prefix: str, redis_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = HubSettings.model_validate(
        {
            "district_dir": str(REPO / "configs" / "district"),
            "mqtt": {"url": mqtt_url, "topic_prefix": topic_prefix, "shared_group": redis_prefix},
            "redis": {"url": redis_url, "key_prefix": redis_prefix},
            "correlation": {"joint_categories": ["06901"]},
        }
    )
    rt = HubRuntime(settings, timer_loop=False)
    await rt.start()
    app = create_app(settings, runtime=rt, tokens=TOKENS)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        await until(lambda: asyncio.sleep(0, server.started), 15)
        await until(lambda: asyncio.sleep(0, bool(app.state.wall_parts)), 15)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            yield c
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)
        await rt.stop()
        r = Redis.from_url(redis_url)
        keys = [k async for k in r.scan_iter(match=f"{redis_prefix}:*", count=1000)]
        for i in range(0, len(keys), 500):
            await r.delete(*keys[i : i + 500])
        await r.aclose()


async def test_wall_in_the_hub_confirms_and_rejects_through_the_hub(
    hub: httpx.AsyncClient, publisher: Publisher
) -> None:
    assert (await hub.get("/api/wall/walls")).status_code == 401
    assert (await hub.get("/wall/")).status_code == 200  # the page itself holds no data
    (await hub.put("/api/wall/walls/h", json={"rows": 1, "cols": 1}, headers=OP)).raise_for_status()
    from hub.district.load import load_district

    district = load_district(REPO / "configs" / "district")
    cams = sorted(district.cameras)
    keys = []
    for cam in cams[:2]:
        ev = publisher.alert(district, cam, district.cameras[cam].zones[0].categories[0])
        keys.append(f"{ev.camera_id}:{ev.zone_id}:{ev.category}")

    async def both_queued() -> bool:
        hub_q = {
            a.get("key") or a.get("alarm_key")
            for a in (await hub.get("/api/verification-queue", headers=OP)).json()
        }
        wall_q = {a["alarm_id"] for a in (await hub.get("/api/wall/alarms", headers=OP)).json()}
        return set(keys) <= wall_q and len(hub_q) >= 2

    await until(both_queued, 10)
    res = await hub.post(f"/api/wall/alarms/{keys[0]}/confirm", json={}, headers=OP)
    res.raise_for_status()
    case_no = res.json()["case_no"]
    case = (await hub.get(f"/api/cases/{case_no}", headers=OP)).json()
    assert case["case_no"] == case_no and case["alarm_key"] == keys[0]  # the hub's own case
    wall = (await hub.get("/api/wall/walls/h", headers=OP)).json()
    assert wall["alarms"][keys[0]]["case_no"] == case_no
    res = await hub.post(f"/api/wall/alarms/{keys[1]}/reject", json={"reason": "误报"}, headers=OP)
    res.raise_for_status()
    queue = (await hub.get("/api/verification-queue", headers=OP)).json()
    assert len(queue) == 0
    feedback = (await hub.get("/api/wall/feedback", headers=OP)).json()
    assert feedback[0]["hub_cleared"] is True and feedback[0]["reason"] == "误报"
    assert feedback[0]["rejected_by"] == "op1"  # the token's operator, not a default
    timeline = (await hub.get(f"/api/cases/{case_no}/timeline", headers=OP)).json()
    assert timeline[1]["action"] == "file" and timeline[1]["actor"] == "operator:op1"


async def test_hub_confirm_with_edits_then_reassign_and_joint_command(
    hub: httpx.AsyncClient, publisher: Publisher
) -> None:
    """The hub's own API: confirm with a category edit, then reassign to a roster person
    and set 1+1+X; the timeline and the case detail show them; bad ids are named."""
    from hub.district.load import load_district

    district = load_district(REPO / "configs" / "district")
    ev = publisher.alert(district, "cam-01", "06010")
    key = f"{ev.camera_id}:{ev.zone_id}:{ev.category}"

    async def queued() -> bool:
        q = (await hub.get("/api/verification-queue", headers=OP)).json()
        return any(a["key"] == key for a in q)

    await until(queued, 10)
    bad = await hub.post(
        f"/api/verification-queue/{key}/confirm", json={"category": "99999"}, headers=OP
    )
    assert bad.status_code == 422 and "'99999'" in bad.text
    res = await hub.post(
        f"/api/verification-queue/{key}/confirm", json={"category": "06036"}, headers=OP
    )
    res.raise_for_status()
    no = res.json()["case_no"]
    case = (await hub.get(f"/api/cases/{no}", headers=OP)).json()
    assert case["category"] == "06036" and case["facts"]["detected_category"] == "06010"
    cand = (await hub.get(f"/api/cases/{no}/candidates", headers=OP)).json()
    routed = [p["person_id"] for p in cand["routed"]]
    assert case["assignees"] == routed[: len(case["assignees"])]  # grid first
    assert len(cand["roster"]) == len(district.people)
    other = next(p for p in cand["roster"] if p["person_id"] not in case["assignees"])
    act = f"/api/cases/{no}/actions"
    res = await hub.post(act, json={"action": "reassign", "assignees": ["p-nobody"]}, headers=OP)
    assert res.status_code == 422 and "'p-nobody' is not in the roster" in res.text
    res = await hub.post(act, json={"action": "close", "assignees": ["x"]}, headers=OP)
    assert res.status_code == 422 and "not 'close'" in res.text
    body = {"action": "reassign", "assignees": [other["person_id"]], "reason": "换人"}
    (await hub.post(act, json=body, headers=OP)).raise_for_status()
    joint = {
        "action": "joint",
        "commander": cand["joint"]["commander"],
        "lead": cand["joint"]["lead"],
        "cooperating": [routed[0]],
    }
    (await hub.post(act, json=joint, headers=OP)).raise_for_status()
    case = (await hub.get(f"/api/cases/{no}", headers=OP)).json()
    assert case["assignees"] == [other["person_id"]]
    assert case["joint"] == {k: joint[k] for k in ("commander", "lead", "cooperating")}
    assert case["people"][other["person_id"]]["name"] == other["name"]
    timeline = (await hub.get(f"/api/cases/{no}/timeline", headers=OP)).json()
    assert [e["action"] for e in timeline] == [
        "report",
        "file",
        "dispatch",
        "reassign",
        "joint",
    ]
    assert timeline[3]["actor"] == "operator:op1" and timeline[3]["reason"] == "换人"


async def test_a_rejection_through_the_hubs_api_takes_the_alarm_off_the_wall(
    hub: httpx.AsyncClient, publisher: Publisher
) -> None:
    from hub.district.load import load_district

    district = load_district(REPO / "configs" / "district")
    (await hub.put("/api/wall/walls/r", json={"rows": 1, "cols": 1}, headers=OP)).raise_for_status()
    ev = publisher.alert(district, "cam-02", "06010")
    key = f"{ev.camera_id}:{ev.zone_id}:{ev.category}"

    async def on_wall() -> list[str]:
        return [a["alarm_id"] for a in (await hub.get("/api/wall/alarms", headers=OP)).json()]

    assert await until(on_wall, 10) == [key]
    res = await hub.post(
        f"/api/verification-queue/{key}/reject", json={"reason": "施工围挡"}, headers=OP
    )
    res.raise_for_status()

    async def gone() -> bool:
        return not await on_wall()

    await until(gone, 5)
    alarm = next(a for a in (await hub.get("/api/alarms", headers=OP)).json() if a["key"] == key)
    assert (alarm["state"], alarm["reject_reason"]) == ("cleared", "施工围挡")

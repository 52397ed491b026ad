"""Item 7: a responder sees nothing beyond their cases: not other cases' alarms, snapshots,
clips or photos, no camera's live video except for an open case of theirs from it, no list
of every camera; and their action ids are their own (another responder replaying one gets
no result of theirs)."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from hub.settings import HubSettings
from hub.video.case_clips import clip_key
from tests.hub.conftest import Publisher, publisher, redis
from tests.trust.access_rig import JPEG, TECH, access_hub, bearer

pytestmark = pytest.mark.integration
__all__ = ["publisher", "redis"]
OUT_OF_SCOPE = "on an open case of yours"


async def test_responder_sees_only_their_cases(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher
) -> None:
    async with access_hub(hub_settings) as h:
        case = await h.camera_case(publisher)
        no, cam, snap = case["case_no"], case["facts"]["camera_id"], case["facts"]["snapshot_id"]
        mine, other = bearer(case["assignees"][0]), bearer(h.outsider(case))
        await redis.hset(
            clip_key(h.rt.keys.prefix, no),
            mapping={
                "data": b"clip",
                "media_type": "video/webm",
                "camera_id": cam,
                "first_ms": 1,
                "last_ms": 2,
                "alarm_ms": 1,
            },
        )
        get = h.http.get

        # alarms: the case's alarm is the assignee's to see, not the stranger's
        staff = [a["key"] for a in (await get("/api/alarms", headers=TECH)).json()]
        assert case["facts"]["alarm_key"] in staff
        assert [a["key"] for a in (await get("/api/alarms", headers=mine)).json()] == staff
        assert (await get("/api/alarms", headers=other)).json() == []

        # the case's snapshot, named with the case it is for
        assert (await get(f"/api/snapshots/{snap}", headers=TECH)).content == JPEG
        assert (await get(f"/api/snapshots/{snap}?case={no}", headers=mine)).content == JPEG
        assert (await get(f"/api/snapshots/{snap}", headers=mine)).status_code == 404
        assert (await get(f"/api/snapshots/{snap}?case={no}", headers=other)).status_code == 404

        # the clip kept with the case
        assert (await get(f"/video/cases/{no}/clip", headers=mine)).content == b"clip"
        assert (await get(f"/video/cases/{no}/clip", headers=other)).status_code == 404

        # live video: the stranger is stopped by the scope; the assignee passes it and meets
        # the relay (which runs no camera here); staff and the assignee only get that far
        for path in (f"/video/{cam}/mjpeg", f"/video/{cam}/snapshot.jpg"):
            for who, query in ((other, f"?case={no}"), (other, ""), (mine, "")):
                r = await get(path + query, headers=who)
                assert r.status_code == 404 and OUT_OF_SCOPE in r.text, (path, query, r.text)
            r = await get(f"{path}?case={no}", headers=mine)
            assert OUT_OF_SCOPE not in r.text, r.text
        assert (await get("/video/config", headers=other)).status_code == 403
        assert (await get("/video/stats", headers=mine)).status_code == 403
        assert (await get("/video/config", headers=TECH)).status_code == 200

        # action ids: one namespace per person
        action_id = uuid.uuid4().hex
        accept = {"action_id": action_id, "case_no": no, "action": "accept"}
        first = await h.http.post("/api/responder/actions", json=accept, headers=mine)
        assert first.json()["ok"] and first.json()["state"] == "accepted"
        replay = await h.http.post("/api/responder/actions", json=accept, headers=other)
        assert replay.status_code == 404, replay.text  # not the assignee's stored result
        again = await h.http.post("/api/responder/actions", json=accept, headers=mine)
        assert again.json()["duplicate"] and again.json()["events"] == first.json()["events"]

        # photos of the case: its people's, not the stranger's
        start = {"action_id": uuid.uuid4().hex, "case_no": no, "action": "start"}
        assert (await h.http.post("/api/responder/actions", json=start, headers=mine)).is_success
        done = await h.http.post(
            "/api/responder/actions/resolve",
            data={"action_id": uuid.uuid4().hex, "case_no": no},
            files=[("photos", ("after.jpg", JPEG, "image/jpeg"))],
            headers=mine,
        )
        assert done.json()["state"] == "resolved", done.text
        timeline = (await get(f"/api/cases/{no}/timeline", headers=mine)).json()
        photo = timeline[-1]["data"]["media"][0]
        assert (await get(f"/api/media/{photo}", headers=mine)).content == JPEG
        assert (await get(f"/api/media/{photo}", headers=TECH)).content == JPEG
        assert (await get(f"/api/media/{photo}", headers=other)).status_code == 404

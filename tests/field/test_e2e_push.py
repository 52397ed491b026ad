"""Must show: an alert becomes a case, the assigned responder's MQTT topic gets the push
within 2 s; the responder accepts (a replay is not done twice), goes on scene and resolves
with a photo (a wrong file is refused by name), and the case moves to camera verification."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from contracts.messages import ResponderPush
from hub.settings import HubSettings
from tests.field.harness import Listener, field_hub
from tests.hub.conftest import Publisher

pytestmark = pytest.mark.integration
JPEG = b"\xff\xd8\xff\xe0" + bytes(2000)


async def until(probe, timeout_s: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = probe()
        if got:
            return got
        await asyncio.sleep(0.01)
    return probe()


async def test_alert_to_push_to_resolution(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher, mqtt_url: str, topic_prefix: str
) -> None:
    listener = Listener(
        mqtt_url,
        [f"{topic_prefix}/v1/responder/+/push", f"{topic_prefix}/v1/edge/edge-01/verify/request"],
    )
    try:
        async with field_hub(hub_settings) as h:
            now = int(time.time() * 1000)
            t0 = time.monotonic()
            publisher.alert("edge-01", started_at_ms=now, updated_at_ms=now)
            pushes = await until(lambda: listener.on("/push"), 5)
            assert pushes, "no push reached any responder topic"
            latency_s = pushes[0][0] - t0
            assert latency_s < 2.0, f"push took {latency_s:.3f} s"
            push = ResponderPush.model_validate_json(pushes[0][2])
            case = (
                await h.http.get(
                    f"/api/cases/{push.case_no}",
                    headers={"Authorization": "Bearer tech-token-0123456789abc"},
                )
            ).json()
            assert push.person_id in case["assignees"]
            assert pushes[0][1] == f"{topic_prefix}/v1/responder/{push.person_id}/push"
            assert push.kind == "dispatch" and push.category == "06010"
            assert push.category_name and push.place and push.deadline_ms
            # the open page's live stream got it too
            live: Any = await redis.xrange(f"{h.rt.keys.prefix}:push:live:{push.person_id}")
            assert [json.loads(f[b"push"])["case_no"] for _, f in live] == [push.case_no]

            me = {"Authorization": f"Bearer resp-{push.person_id}"}
            accept = {"action_id": uuid.uuid4().hex, "case_no": push.case_no, "action": "accept"}
            first = (await h.http.post("/api/responder/actions", json=accept, headers=me)).json()
            again = (await h.http.post("/api/responder/actions", json=accept, headers=me)).json()
            assert first["ok"] and first["state"] == "accepted" and not first["duplicate"]
            assert again["duplicate"] and again["events"] == first["events"]
            start = {"action_id": uuid.uuid4().hex, "case_no": push.case_no, "action": "start"}
            assert (await h.http.post("/api/responder/actions", json=start, headers=me)).json()[
                "state"
            ] == "in_progress"

            form = {"action_id": uuid.uuid4().hex, "case_no": push.case_no, "note": "cleared"}
            bad = await h.http.post(
                "/api/responder/actions/resolve",
                data=form,
                files=[("photos", ("after.gif", b"GIF89a" + bytes(50), "image/gif"))],
                headers=me,
            )
            assert bad.status_code == 415
            assert "photo 'after.gif' is not a JPEG, PNG or WebP image" in bad.json()["detail"]
            ok = await h.http.post(
                "/api/responder/actions/resolve",
                data=form,
                files=[("photos", ("after.jpg", JPEG, "image/jpeg"))],
                headers=me,
            )
            assert ok.status_code == 200, ok.text
            assert ok.json()["state"] == "resolved"
            timeline = (await h.http.get(f"/api/cases/{push.case_no}/timeline", headers=me)).json()
            media = timeline[-1]["data"]["media"]
            photo = await h.http.get(f"/api/media/{media[0]}", headers=me)
            assert photo.content == JPEG and photo.headers["content-type"] == "image/jpeg"
            verify = await until(lambda: listener.on("verify/request"), 3)
            assert verify and json.loads(verify[0][2])["case_no"] == push.case_no
            print(f"alert→push latency {latency_s * 1000:.0f} ms")
    finally:
        listener.close()

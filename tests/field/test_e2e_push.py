"""Must show: an alert becomes a case, the assigned responder's MQTT topic gets the push
within 2 s; the responder accepts (a replay is not done twice), goes on scene and resolves
with a photo (a wrong file is refused by name), and the case moves to camera verification."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from contracts.messages import ResponderPush
from hub.push.webpush import VapidKey
from hub.settings import HubSettings
from tests.field.harness import Listener, field_hub, flushed, pushes, until, until_async
from tests.field.pushservice import BrowserSubscription, PushService, verify_vapid
from tests.hub.conftest import Publisher

pytestmark = pytest.mark.integration
JPEG = b"\xff\xd8\xff\xe0" + bytes(2000)


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


async def test_dispatch_reaches_a_web_push_service_and_escalation_the_next_tier(
    hub_settings: HubSettings,
    redis: Redis,
    publisher: Publisher,
    mqtt_url: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    key = VapidKey.generate("mailto:ops@gridwall.example")
    key.save(tmp_path / "vapid.pem")
    push_settings = hub_settings.push.model_copy(
        update={"vapid_key_file": tmp_path / "vapid.pem", "vapid_subject": key.subject}
    )
    settings = hub_settings.model_copy(update={"push": push_settings})
    service = PushService()
    service.start()
    listener = Listener(mqtt_url, [f"{topic_prefix}/v1/responder/#"])
    try:
        async with field_hub(settings) as h:
            assert (await h.http.get("/api/push/vapid-key")).json()["public_key"] == key.public_b64
            browsers: dict[str, BrowserSubscription] = {}
            grid = h.rt.ctx.zones[("cam-01", "ground")].grid_code
            assert grid is not None
            policy = h.rt.ctx.policy_for(grid, "06010")
            tiers = [h.rt.ctx.router.people_for(s.notify, grid, "06010") for s in policy.steps[:2]]
            for person_id in {p for tier in tiers for p in tier}:
                b = BrowserSubscription(f"{service.url}/push/{person_id}")
                r = await h.http.post(
                    "/api/push/subscriptions",
                    json=b.to_json(),
                    headers={"Authorization": f"Bearer resp-{person_id}"},
                )
                assert r.status_code == 201, r.text
                browsers[person_id] = b
            now = int(time.time() * 1000)
            publisher.alert("edge-01", started_at_ms=now, updated_at_ms=now)
            assert await until(lambda: service.received, 5), "no Web Push request arrived"
            req = service.received[0]
            person = req.path.rsplit("/", 1)[1]
            claims = verify_vapid(req.headers["authorization"], key.public_b64)
            assert claims["aud"] == service.url
            got = browsers[person].decrypt(req.body)
            assert got["kind"] == "dispatch" and got["person_id"] == person
            no = got["case_no"]

            # every first-tier push is in, not just the first to arrive
            await flushed(h, redis, listener, topic_prefix, "dispatched")
            first_tier = {p.person_id for p in pushes(listener)}
            assert first_tier == set((await h.rt.store.view(no)).assignees)
            r = await h.http.post(
                f"/api/cases/{no}/actions",
                json={"action": "escalate", "reason": "not accepted in time"},
                headers={"Authorization": "Bearer operator-token-0123456789"},
            )
            assert r.status_code == 200, r.text

            def escalations() -> list[ResponderPush]:
                return [p for p in pushes(listener) if p.kind == "escalation"]

            esc = await until(escalations, 5)
            assert esc and all(p.case_no == no and p.tier == 1 for p in esc)
            assert {p.person_id for p in esc}.isdisjoint(
                first_tier
            )  # the next tier, not the same people
    finally:
        listener.close()
        service.stop()


async def test_a_retriggered_case_stays_quiet(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher, mqtt_url: str, topic_prefix: str
) -> None:
    """A second camera on the same dump site attaches its alarm to the open case: the case's
    people already know, so no second push goes out.

    The dispatch wakes every assignee; their pushes leave together but arrive apart, so the
    count to compare with is taken once all of them are in (``flushed``), not at the first."""
    listener = Listener(mqtt_url, [f"{topic_prefix}/v1/responder/#"])
    try:
        async with field_hub(hub_settings) as h:
            now = int(time.time() * 1000)
            publisher.alert("edge-01", started_at_ms=now, updated_at_ms=now)
            assert await until(lambda: pushes(listener), 5), "the dispatch push never arrived"
            no = pushes(listener)[0].case_no
            await flushed(h, redis, listener, topic_prefix, "dispatched")
            before = pushes(listener)
            assignees = (await h.rt.store.view(no)).assignees
            assert sorted(p.person_id for p in before) == sorted(assignees)
            assert {(p.kind, p.case_no) for p in before} == {("dispatch", no)}

            publisher.alert("edge-01", camera_id="cam-91", started_at_ms=now, updated_at_ms=now)

            async def attached() -> bool:
                return "attach_alarm" in [e.action for e in await h.rt.store.events(no)]

            assert await until_async(attached, 5), "the second camera's alarm did not attach"
            # the re-trigger is a notice for each assignee, and each stays quiet
            await flushed(h, redis, listener, topic_prefix, "retriggered")
            after = pushes(listener)
            assert [p.push_id for p in after] == [p.push_id for p in before], [
                (p.person_id, p.kind) for p in after[len(before) :]
            ]
    finally:
        listener.close()

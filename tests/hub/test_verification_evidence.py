"""Must show, through the real broker and Redis: an "uncertain" answer (the zone still looks
like the alarm frame) hands the resolved case to an operator, with the check on its log; an
older box's bare "clear" is not trusted; a camera-verified close keeps every clear check
with its after frame and the alarm frame, and those frames outlive the snapshot TTL."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from contracts.topics import TopicKind, topic_for
from hub.services.ingest import SNAPSHOT_TTL_S
from tests.hub.conftest import OP, Hub, Publisher, wait_for
from tests.hub.fake_edge import REFERENCE, FakeEdge, jpeg

pytestmark = pytest.mark.integration


async def _resolved_case(hub: Hub, publisher: Publisher) -> str:
    publisher.raw(topic_for(publisher.prefix, TopicKind.SNAPSHOT, "edge-01", REFERENCE), jpeg())
    publisher.alert("edge-01", camera_id="cam-01", snapshot_id=REFERENCE)

    async def probe() -> str | None:
        cases = await hub.cases()
        return str(cases[0]["case_no"]) if cases else None

    no = await wait_for(probe)
    for action in ("accept", "resolve"):
        r = await hub.http.post(f"/api/cases/{no}/actions", headers=OP, json={"action": action})
        assert r.status_code == 200, r.text
    return no


async def _timeline_when(hub: Hub, no: str, done: Any) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        tl: list[dict[str, Any]] = (
            await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)
        ).json()
        return tl if done(tl) else None

    return await wait_for(probe)


def _edge(mqtt_url: str, prefix: str, answers: list[str]) -> FakeEdge:
    return FakeEdge("127.0.0.1", int(mqtt_url.rsplit(":", 1)[1]), prefix, answers)


def _handed_over(tl: list[dict[str, Any]]) -> bool:
    return bool(tl[-1]["data"].get("verification") == "human")


@pytest.mark.parametrize(
    ("answers", "why"),
    [
        (["uncertain"], "still looks like the alarm frame"),
        (["clear", "uncertain"], "still looks like the alarm frame"),  # a run of clears broken
        (["old-clear"], "says nothing of the scene against the alarm frame"),
    ],
)
async def test_an_answer_short_of_a_backed_clear_goes_to_an_operator(
    hub: Hub,
    publisher: Publisher,
    redis: Redis,
    mqtt_url: str,
    topic_prefix: str,
    answers: list[str],
    why: str,
) -> None:
    edge = _edge(mqtt_url, topic_prefix, answers)
    try:
        no = await _resolved_case(hub, publisher)
        tl = await _timeline_when(hub, no, _handed_over)
    finally:
        edge.close()
    assert edge.requests == len(answers)
    last = tl[-1]
    assert (last["action"], last["actor"], last["to_state"]) == (
        "note",
        "camera:cam-01",
        "resolved",
    )
    assert why in last["note"] and last["note"].endswith("an operator must verify")
    check = last["data"]["check"]
    sent = edge.sent[-1]
    assert check["request_id"] == sent.request_id and check["snapshot_id"] == sent.snapshot_id
    assert check.get("scene_change") == sent.scene_change
    detail = (await hub.http.get(f"/api/cases/{no}", headers=OP)).json()
    assert (detail["state"], detail["verification"]) == ("resolved", "human")
    assert all(e["action"] not in ("verify", "close") for e in tl)
    # the operator then decides by hand, from the two frames
    r = await hub.http.post(f"/api/cases/{no}/actions", headers=OP, json={"action": "rework"})
    assert r.status_code == 200, r.text


async def test_a_camera_verified_close_keeps_its_checks_and_frames(
    hub: Hub, publisher: Publisher, redis: Redis, mqtt_url: str, topic_prefix: str
) -> None:
    edge = _edge(mqtt_url, topic_prefix, ["clear", "clear"])  # clear_checks: 2 in the tests
    try:
        no = await _resolved_case(hub, publisher)
        tl = await _timeline_when(hub, no, lambda tl: tl[-1]["action"] == "close")
    finally:
        edge.close()
    verify = tl[-2]
    assert (verify["action"], verify["actor"]) == ("verify", "camera:cam-01")
    checks = verify["data"]["checks"]
    assert [c["request_id"] for c in checks] == [r.request_id for r in edge.sent]
    assert all(c["result"] == "clear" and c["scene_change"] >= 0.2 for c in checks)
    assert {c["reference_snapshot_id"] for c in checks} == {REFERENCE}
    evidence_s = hub.rt.settings.verification.evidence_days * 86_400
    for sid in [REFERENCE, *(c["snapshot_id"] for c in checks)]:
        key = hub.rt.keys.snapshot(sid)
        assert await redis.exists(key), sid
        ttl = int(await redis.ttl(key))
        assert SNAPSHOT_TTL_S < ttl <= evidence_s, (sid, ttl)
    assert not await redis.exists(hub.rt.keys.verify_checks(no))


async def test_verification_frames_are_kept_as_evidence_from_arrival(
    hub: Hub, publisher: Publisher, redis: Redis
) -> None:
    """A verification's after frame and the alarm frame it was compared with arrive as
    ``{request_id}.verify`` and ``{request_id}.alarm``: kept ``evidence_days``; an alert's
    snapshot the usual 7 days."""
    names = ["vr-00000001-ab12cd34.verify", "vr-00000001-ab12cd34.alarm", "ev-00000001.s1"]
    for sid in names:
        publisher.raw(topic_for(publisher.prefix, TopicKind.SNAPSHOT, "edge-01", sid), jpeg())

    async def stored() -> list[int] | None:
        ttls = [int(await redis.ttl(hub.rt.keys.snapshot(s))) for s in names]
        return ttls if all(t > 0 for t in ttls) else None

    verify_ttl, alarm_ttl, plain_ttl = await wait_for(stored)
    evidence_s = hub.rt.settings.verification.evidence_days * 86_400
    assert SNAPSHOT_TTL_S < verify_ttl <= evidence_s and SNAPSHOT_TTL_S < alarm_ttl <= evidence_s
    assert plain_ttl <= SNAPSHOT_TTL_S

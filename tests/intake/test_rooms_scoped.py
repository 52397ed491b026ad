"""Rooms scoped to their area and desks scoped to their department, over HTTP on a running
hub (real Redis and Mosquitto): a street's token sees its street's cases, alarms,
snapshots, cameras, triage items, supervision board, KPIs and queues and gets 404 for
another street's (403 for the county-wide import); a department's token sees the cases its
department owns and assigns them only to its people."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from contracts.topics import TopicKind, topic_for
from hub.api.auth import Principal, TokenError, parse_tokens
from hub.api.stream import AreaFilter
from hub.api.tickets import Tickets
from hub.app import create_app
from hub.domain.area import Area
from hub.settings import HubSettings
from tests.hub.conftest import OP, Hub, Publisher, running_hub, wait_for
from tests.intake.conftest import INTAKE_TOKENS, PILE
from tests.intake.jpeg import jpeg

pytestmark = pytest.mark.integration
STREET_A, STREET_B = "339901001", "339901002"
A = {"Authorization": "Bearer street-a-operator-0123456789"}
DESK = {"Authorization": "Bearer desk-enforcement-0123456789"}
TOKENS = INTAKE_TOKENS | {
    "street-a-operator-0123456789": Principal("op-a", "operator", None, Area("street", STREET_A)),
    "desk-enforcement-0123456789": Principal(
        "desk-law", "operator", None, None, "enforcement-bureau"
    ),
}
JPEG = jpeg()
PHOTO = [("photos", ("p.jpg", JPEG, "image/jpeg"))]


def camera_in(hub: Hub, street: str) -> tuple[str, str, tuple[float, float]]:
    """(camera, box, the point its zone looks at) of a waste camera looking into ``street``."""
    for (cam, _zone), place in sorted(hub.rt.ctx.zones.items()):
        c = hub.rt.district.cameras[cam]
        if str(place.grid_code).startswith(street) and "06010" in c.zones[0].categories:
            t = c.zones[0].target
            return cam, c.box_id, (t.lon, t.lat)
    raise AssertionError(f"no camera looks into street {street}")


async def camera_case(hub: Hub, publisher: Publisher, cam: str, box: str) -> dict[str, Any]:
    snap = f"sn-{cam}-scoped"
    publisher.raw(topic_for(publisher.prefix, TopicKind.SNAPSHOT, box, snap), JPEG)
    publisher.alert(box, camera_id=cam, snapshot_id=snap)
    found: dict[str, Any] = {}

    async def filed() -> bool:
        for c in await hub.cases():
            if c.get("camera_id") == cam:
                found.update((await hub.http.get(f"/api/cases/{c['case_no']}", headers=OP)).json())
                return bool(found["facts"].get("snapshot_id") == snap)
        return False

    await wait_for(filed, 15)
    return found


async def citizen(hub: Hub, grid: str, form_id: str) -> str:
    token = (
        await hub.http.get("/api/intake/place-token", headers=OP, params={"grid": grid})
    ).json()["token"]
    form = {"place": token, "form_id": form_id, "category": "06036"}
    r = await hub.http.post("/public/reports", data=form, files=PHOTO)
    assert r.status_code == 201, r.text
    return str(r.json()["case_no"])


async def imported(hub: Hub, ref: str, category: str, xy: tuple[float, float]) -> str:
    rec = {"external_ref": ref, "category": category, "lon": xy[0], "lat": xy[1]}
    body = {"source": "hotline", "system": "12345", "records": [rec]}
    r = await hub.http.post("/api/intake/import", headers=OP, json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["records"][0]["case_no"])


async def test_street_and_department_tokens_see_their_own(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher
) -> None:
    async with running_hub(hub_settings, tokens=TOKENS, timeout_s=20) as hub:
        get, post = hub.http.get, hub.http.post
        cam_a, box_a, _ = camera_in(hub, STREET_A)
        cam_b, box_b, point_b = camera_in(hub, STREET_B)
        case_a = await camera_case(hub, publisher, cam_a, box_a)
        case_b = await camera_case(hub, publisher, cam_b, box_b)
        no_a, no_b = case_a["case_no"], case_b["case_no"]
        snap_b, key_b = case_b["facts"]["snapshot_id"], case_b["facts"]["alarm_key"]
        grid_b = case_b["grid_code"]
        dust_a = await imported(hub, "h-dust-a", "08004", PILE)  # housing-construction's
        tri_a = await citizen(hub, str(case_a["grid_code"]), "f-street-a-000001")
        tri_b = await citizen(hub, grid_b, "f-street-b-000001")

        def numbers(r: Any) -> set[str]:
            assert r.status_code == 200, r.text
            return {c["case_no"] for c in r.json()}

        # the street's room: its own in every list
        assert numbers(await get("/api/cases", headers=A)) == {no_a, dust_a, tri_a}
        assert numbers(await get("/api/intake/triage", headers=A)) == {tri_a}
        assert {tri_a, tri_b} <= numbers(await get("/api/intake/triage", headers=OP))
        board_a = numbers(await get("/api/supervision", headers=A))
        assert no_a in board_a and no_b not in board_a
        assert no_b in numbers(await get("/api/supervision", headers=OP))
        kpis = (await get("/api/kpis", headers=A)).json()["total"]["cases"]
        assert kpis == 3 < (await get("/api/kpis", headers=OP)).json()["total"]["cases"]
        alarms = {x["key"] for x in (await get("/api/alarms", headers=A)).json()}
        assert case_a["facts"]["alarm_key"] in alarms and key_b not in alarms
        queue = numbers(await get("/api/departments/enforcement-bureau/queue", headers=A))
        assert no_a in queue and no_b not in queue

        # another street's things: 404 as if none; county-wide routes 403
        for path in (
            f"/api/cases/{no_b}",
            f"/api/cases/{tri_b}",
            f"/api/snapshots/{snap_b}?case={no_b}",
            f"/api/snapshots/{snap_b}?alarm={key_b}",
            f"/video/{cam_b}/snapshot.jpg",
            f"/api/intake/place-token?grid={grid_b}",
            f"/api/intake/place-token?camera={cam_b}",
        ):
            r = await get(path, headers=A)
            assert r.status_code == 404, (path, r.status_code, r.text)
        r = await post(f"/api/intake/triage/{tri_b}", headers=A, json={"decision": "file"})
        assert r.status_code == 404, r.text
        r = await post(f"/api/verification-queue/{key_b}/reject", headers=A)
        assert r.status_code == 404, r.text
        before = len(await hub.cases())
        form = {"request_id": "req-outside-0001", "category": "06010"}
        xy = {"lon": str(point_b[0]), "lat": str(point_b[1])}
        r = await post("/api/intake/operator", headers=A, data=form | xy)
        assert r.status_code == 403 and "outside your area" in r.text, r.text
        assert len(await hub.cases()) == before  # nothing stored
        for path in ("/api/intake/feed/hotline", "/api/fleet", "/api/edges"):
            assert (await get(path, headers=A)).status_code == 403, path
        r = await post("/api/intake/import", headers=A, json={"source": "hotline", "records": []})
        assert r.status_code == 403, r.text
        # its own triage item it files
        r = await post(f"/api/intake/triage/{tri_a}", headers=A, json={"decision": "file"})
        assert r.status_code == 200, r.text

        # the department's desk: the cases the enforcement bureau owns, nobody else's
        mine = numbers(await get("/api/cases", headers=DESK))
        assert {no_a, no_b} <= mine and dust_a not in mine
        assert (await get(f"/api/cases/{dust_a}", headers=DESK)).status_code == 404
        other = await get("/api/departments/housing-construction/queue", headers=DESK)
        assert other.status_code == 404, other.text
        assert (await get("/api/departments/housing-construction/desk", headers=DESK)).is_error
        desk = (await get("/api/departments/enforcement-bureau/desk", headers=DESK)).json()
        assert {c["case_no"] for c in desk["cases"]} >= {no_a, no_b}
        assert dust_a not in {c["case_no"] for c in desk["cases"]}
        assert {c["colour"] for c in desk["cases"]} <= {"green", "yellow", "red"}
        people = [x["person_id"] for x in desk["people"]]
        assert people and all(p.endswith("-law") for p in people)
        outsider = {"action": "reassign", "assignees": ["p-339901001-build"]}
        r = await post(f"/api/cases/{no_a}/actions", headers=DESK, json=outsider)
        assert r.status_code == 403, r.text
        assign = {"action": "reassign", "assignees": [people[0]]}
        r = await post(f"/api/cases/{no_a}/actions", headers=DESK, json=assign)
        assert r.status_code == 200, r.text
        assert (await get("/api/wall/walls", headers=DESK)).status_code == 403
        deps = (await get("/api/departments", headers=DESK)).json()["departments"]
        assert [d["id"] for d in deps] == ["enforcement-bureau"]


async def test_department_tokens_are_checked_and_carried(
    hub_settings: HubSettings, redis: Redis
) -> None:
    got = parse_tokens("d-operator-token-0123456789 operator area=339901001 department=x-y", "t")
    assert got["d-operator-token-0123456789"] == Principal(
        "operator", "operator", None, Area("street", "339901001"), "x-y"
    )
    with pytest.raises(TokenError, match=r"unexpected colour='red'"):
        parse_tokens("d-operator-token-0123456789 operator colour=red", "t")
    unknown = {"d-operator-token-0123456789": Principal("d", "operator", None, None, "nope")}
    with pytest.raises(TokenError, match=r"operator 'd': unknown department 'nope'"):
        create_app(hub_settings, tokens=unknown)
    # a ticket keeps the department; the change stream admits only its department's cases
    desk = TOKENS["desk-enforcement-0123456789"]
    tickets = Tickets(b"k" * 32)
    ticket, _ = tickets.issue(desk, 0)
    assert tickets.verify(ticket, 1) == desk
    async with running_hub(hub_settings, tokens=TOKENS, timeout_s=20) as hub:
        mine = await imported(hub, "h-desk-1", "06010", PILE)
        dust = await imported(hub, "h-desk-2", "08004", PILE)
        seen = AreaFilter(hub.rt, desk)
        for no, want in ((mine, True), (dust, False)):
            change = {b"kind": b"case", b"case_no": no.encode(), b"event": b"{}"}
            assert await seen.admits(change) is want, no
        assert not await seen.admits({b"kind": b"alarm_queued", b"alarm_key": b"cam-01:g:06010"})

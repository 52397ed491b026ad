"""Rooms scoped to their area (issue 17 item 3): a street-level token sees its street's cases,
alarms, snapshots, cameras, KPIs and department queues, and gets 404 for another street's,
over HTTP on the real Redis and Mosquitto; a county token sees both; a ticket keeps the
area; an unknown street stops the hub at start."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from contracts.topics import TopicKind, topic_for
from hub.api.auth import Principal, TokenError, parse_tokens
from hub.api.stream import AreaFilter
from hub.app import create_app
from hub.domain.area import Area
from hub.settings import HubSettings
from tests.hub.conftest import Publisher, publisher, redis
from tests.kpis.settle import kpis_when
from tests.trust.access_rig import JPEG, AccessHub, access_hub

pytestmark = pytest.mark.integration
__all__ = ["publisher", "redis"]
COUNTY = {"Authorization": "Bearer operator-token-0123456789"}
STREET_A = {"Authorization": "Bearer street-a-operator-0123456789"}
STREET_B = {"Authorization": "Bearer street-b-operator-0123456789"}


def street_tokens(a: str, b: str) -> dict[str, Principal]:
    return {
        "street-a-operator-0123456789": Principal("op-a", "operator", None, Area("street", a)),
        "street-b-operator-0123456789": Principal("op-b", "operator", None, Area("street", b)),
    }


def two_streets(h: AccessHub) -> tuple[tuple[str, str], tuple[str, str]]:
    """(camera, box) of cam-01 and of a camera whose zone looks into another street."""
    zones = h.rt.ctx.zones
    street_a = str(zones[("cam-01", "ground")].grid_code)[:9]
    for (cam, zone), place in sorted(zones.items()):
        c = h.rt.district.cameras[cam]
        in_b = place.grid_code and place.grid_code[:9] != street_a
        if in_b and zone == "ground" and "06010" in c.zones[0].categories:
            return ("cam-01", "edge-01"), (cam, c.box_id)
    raise AssertionError("the district has no camera in a second street")


async def file_case(h: AccessHub, publisher: Publisher, cam: str, box: str) -> dict[str, Any]:
    now = int(time.time() * 1000)
    snap = f"sn-{uuid.uuid4().hex[:12]}"
    publisher.raw(topic_for(publisher.prefix, TopicKind.SNAPSHOT, box, snap), JPEG)
    publisher.alert(box, camera_id=cam, started_at_ms=now, updated_at_ms=now, snapshot_id=snap)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for c in (await h.http.get("/api/cases", headers=COUNTY)).json():
            if c.get("camera_id") == cam:
                detail: dict[str, Any] = (
                    await h.http.get(f"/api/cases/{c['case_no']}", headers=COUNTY)
                ).json()
                if detail["facts"].get("snapshot_id") == snap:
                    return detail
        await asyncio.sleep(0.05)
    raise AssertionError(f"no case from {cam} within 15 s of the alert")


async def test_street_token_sees_its_street_only(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher
) -> None:
    async with access_hub(hub_settings) as h:
        (cam_a, box_a), (cam_b, box_b) = two_streets(h)
        street_a, street_b = (
            str(h.rt.ctx.zones[(c, "ground")].grid_code)[:9] for c in (cam_a, cam_b)
        )
        h.app.state.tokens.update(street_tokens(street_a, street_b))
        a = await file_case(h, publisher, cam_a, box_a)
        b = await file_case(h, publisher, cam_b, box_b)
        get = h.http.get
        no_a, no_b = a["case_no"], b["case_no"]
        snap_a, snap_b = a["facts"]["snapshot_id"], b["facts"]["snapshot_id"]
        key_a, key_b = a["facts"]["alarm_key"], b["facts"]["alarm_key"]

        # lists: each street its own; the county both
        def numbers(r: Any) -> set[str]:
            return {c["case_no"] for c in r.json()}

        assert {no_a, no_b} <= numbers(await get("/api/cases", headers=COUNTY))
        assert numbers(await get("/api/cases", headers=STREET_A)) == {no_a}
        assert numbers(await get("/api/cases", headers=STREET_B)) == {no_b}
        alarms = {x["key"] for x in (await get("/api/alarms", headers=STREET_A)).json()}
        assert key_a in alarms and key_b not in alarms
        county_alarms = {x["key"] for x in (await get("/api/alarms", headers=COUNTY)).json()}
        assert {key_a, key_b} <= county_alarms
        cams = {c["camera_id"] for c in (await get("/api/cameras", headers=STREET_A)).json()}
        assert cam_a in cams and cam_b not in cams
        all_cams = {c["camera_id"] for c in (await get("/api/cameras", headers=COUNTY)).json()}
        assert {cam_a, cam_b} <= all_cams and len(cams) < len(all_cams)
        kpi_all = (await kpis_when(h.http, COUNTY, lambda k: k["total"]["cases"] >= 2))["total"][
            "cases"
        ]
        kpi_a = (await get("/api/kpis", headers=STREET_A)).json()["total"]["cases"]
        assert kpi_a == 1 and kpi_all == 2, (kpi_a, kpi_all)
        dep = a["department"]
        queue = numbers(await get(f"/api/departments/{dep}/queue", headers=STREET_B))
        assert no_a not in queue
        assert no_a in numbers(await get(f"/api/departments/{dep}/queue", headers=COUNTY))

        # single items of the other street: 404, like a thing that does not exist
        for path in (
            f"/api/cases/{no_b}",
            f"/api/cases/{no_b}/timeline",
            f"/api/snapshots/{snap_b}?case={no_b}",
            f"/api/snapshots/{snap_b}?alarm={key_b}",
            f"/api/snapshots/{snap_b}",
            f"/video/cases/{no_b}/clip",
            f"/video/{cam_b}/snapshot.jpg",
            f"/video/{cam_b}/mjpeg",
        ):
            r = await get(path, headers=STREET_A)
            assert r.status_code == 404, (path, r.status_code, r.text)
        act = {"action": "note", "note": "not mine"}
        r = await h.http.post(f"/api/cases/{no_b}/actions", json=act, headers=STREET_A)
        assert r.status_code == 404, r.text
        r = await h.http.post(f"/api/verification-queue/{key_b}/reject", headers=STREET_A)
        assert r.status_code == 404, r.text
        order = {"note": "hurry", "deadline_ms": int(time.time() * 1000) + 3_600_000}
        r = await h.http.post(f"/api/cases/{no_b}/supervision-orders", json=order, headers=STREET_A)
        assert r.status_code == 404, r.text

        # its own street's, and the county everything
        assert (await get(f"/api/cases/{no_a}", headers=STREET_A)).status_code == 200
        assert (await get(f"/api/snapshots/{snap_a}?case={no_a}", headers=STREET_A)).content == JPEG
        assert (await get(f"/api/snapshots/{snap_a}?alarm={key_a}", headers=STREET_A)).is_success
        assert (await get(f"/api/snapshots/{snap_b}", headers=COUNTY)).content == JPEG
        assert (await get(f"/api/cases/{no_b}", headers=COUNTY)).status_code == 200
        r = await get(f"/video/{cam_a}/snapshot.jpg", headers=STREET_A)
        assert "in your area" not in r.text, r.text  # past the scope (no camera runs here)
        r = await get(f"/video/{cam_b}/snapshot.jpg", headers=COUNTY)
        assert "in your area" not in r.text, r.text

        # a ticket carries the area
        ticket = (await h.http.post("/api/tickets", headers=STREET_A)).json()["ticket"]
        ok = await get(f"/api/snapshots/{snap_a}?case={no_a}&ticket={ticket}")
        assert ok.content == JPEG, ok.text
        no = await get(f"/api/snapshots/{snap_b}?case={no_b}&ticket={ticket}")
        assert no.status_code == 404, no.text

        # county-wide routes are refused, not answered whole; supervision is filtered
        for path in ("/api/wall/scenes", "/api/intake/feed/hotline", "/api/fleet"):
            assert (await get(path, headers=STREET_A)).status_code == 403, path
        board_a = {c["case_no"] for c in (await get("/api/supervision", headers=STREET_A)).json()}
        board = {c["case_no"] for c in (await get("/api/supervision", headers=COUNTY)).json()}
        assert {no_a, no_b} <= board and no_a in board_a and no_b not in board_a

        # the change stream's filter: each street its own case and alarm changes
        tokens = h.app.state.tokens
        area_a = AreaFilter(h.rt, tokens["street-a-operator-0123456789"])
        county = AreaFilter(h.rt, tokens["operator-token-0123456789"])
        for no, key, mine in ((no_a, key_a, True), (no_b, key_b, False)):
            case_change = {b"kind": b"case", b"case_no": no.encode(), b"event": b"{}"}
            alarm_change = {b"kind": b"alarm_queued", b"alarm_key": key.encode()}
            assert await area_a.admits(case_change) is mine
            assert await area_a.admits(alarm_change) is mine
            assert await county.admits(case_change) and await county.admits(alarm_change)
        assert not await area_a.admits({b"kind": b"fleet", b"alarm_key": b"edge-01"})


def test_an_unknown_street_stops_the_hub(hub_settings: HubSettings) -> None:
    tokens = {
        "x-operator-token-0123456789": Principal("x", "operator", None, Area("street", "339901099"))
    }
    with pytest.raises(TokenError, match=r"operator 'x': unknown street '339901099'"):
        create_app(hub_settings, tokens=tokens)
    good = parse_tokens("x-operator-token-0123456789 operator area=339901002", "test")
    assert good["x-operator-token-0123456789"].area == Area("street", "339901002")
    create_app(hub_settings, tokens=good)  # a known street starts
    with pytest.raises(TokenError, match=r"area '33990100' must be a county \(6 digits\)"):
        parse_tokens("x-operator-token-0123456789 operator area=33990100", "test")

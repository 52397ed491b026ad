"""A street room's wall (issue 17 item 3): a wall defined with a street as its area shows
only that street's alarms and cameras, and a token of that street opens only such walls and
sees only its alarms and snapshots, filtered by the hub (state, live stream, alarm desk) on
the real Redis and Mosquitto; the county wall and token see both streets. And the same in
headless Chromium: the street's wall page pops its street's alarm tile only."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from hub.api.auth import Principal
from hub.domain.area import Area
from tests.wall.conftest import AUTH, Publisher, WallServer, wait_for

pytestmark = pytest.mark.integration
STREET_TOKEN = "street-a-wall-operator-0123"
STREET = {"Authorization": f"Bearer {STREET_TOKEN}"}
JPEG_STUB = b"\xff\xd8\xff\xe0" + bytes(500)


def street_of(server: WallServer, camera_id: str) -> str:
    z = server.district.cameras[camera_id].zones[0].target
    return str(server.district.grid_index.locate(z.lon, z.lat))[:9]


def first_state(c: httpx.Client, wall: str, headers: dict[str, str]) -> dict[str, Any]:
    """The first ``state`` event of a wall's live stream."""
    with c.stream("GET", f"/api/wall/walls/{wall}/events", headers=headers) as r:
        assert r.status_code == 200, r.read()
        name = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name == "state":
                state: dict[str, Any] = json.loads(line[6:])
                return state
    raise AssertionError("no state event")


def test_a_street_wall_shows_its_street(wall_server: WallServer, publisher: Publisher) -> None:
    cam_a = "cam-01"
    street_a = street_of(wall_server, cam_a)
    cam_b = next(
        c
        for c, cam in sorted(wall_server.district.cameras.items())
        if street_of(wall_server, c) != street_a and "06010" in cam.zones[0].categories
    )
    street_b = street_of(wall_server, cam_b)
    wall_server.app.state.tokens[STREET_TOKEN] = Principal(
        "op-a", "operator", None, Area("street", street_a)
    )
    with wall_server.client() as c:
        for name, area in (("county", None), ("street-a", street_a), ("street-b", street_b)):
            spec = {"rows": 1, "cols": 1} | ({"area": area} if area else {})
            c.put(f"/api/wall/walls/{name}", json=spec).raise_for_status()
        a = publisher.alert(wall_server.district, cam_a, "06010", snapshot=JPEG_STUB)
        b = publisher.alert(wall_server.district, cam_b, "06010", snapshot=JPEG_STUB)

        def cams_of(payload: dict[str, Any]) -> set[str]:
            return {x["camera_id"] for x in payload["alarms"].values()}

        def county_has_both() -> bool:
            return cams_of(c.get("/api/wall/walls/county").json()) == {cam_a, cam_b}

        wait_for(county_has_both, 20, "both alarms on the county wall")
        assert cams_of(c.get("/api/wall/walls/street-a").json()) == {cam_a}
        assert cams_of(c.get("/api/wall/walls/street-b").json()) == {cam_b}

        # the street's token: its walls, its alarms, its cameras, its snapshots
        assert c.get("/api/wall/walls", headers=STREET).json() == ["street-a"]
        mine = c.get("/api/wall/walls/street-a", headers=STREET).json()
        assert cams_of(mine) == {cam_a}
        assert cam_a in mine["cameras"] and cam_b not in mine["cameras"]
        assert {street_of(wall_server, x) for x in mine["cameras"]} == {street_a}
        assert cams_of(first_state(c, "street-a", STREET)) == {cam_a}
        queue = c.get("/api/wall/alarms", headers=STREET).json()
        assert [x["camera_id"] for x in queue] == [cam_a]
        picker = c.get("/api/wall/cameras?limit=200", headers=STREET).json()["items"]
        assert cam_a in {x["camera_id"] for x in picker}
        assert cam_b not in {x["camera_id"] for x in picker}
        # the map of a street's wall: that street's cameras, for a county token too
        for who in (STREET, {}):
            pins = c.get("/api/wall/cameras/map?wall=street-a", headers=who).json()["pins"]
            assert {street_of(wall_server, p["camera_id"]) for p in pins} == {street_a}
        assert c.get("/api/wall/cameras/map?wall=county", headers=STREET).status_code == 404
        assert c.get(f"/api/wall/snapshots/{a.snapshot_id}", headers=STREET).status_code == 200

        # another street's wall, alarm and snapshot: 404, as if they did not exist
        b_id = next(
            k
            for k, x in c.get("/api/wall/walls/county").json()["alarms"].items()
            if x["camera_id"] == cam_b
        )
        for path in (
            "/api/wall/walls/county",
            "/api/wall/walls/street-b",
            "/api/wall/walls/street-b/events",
            f"/api/wall/snapshots/{b.snapshot_id}",
        ):
            assert c.get(path, headers=STREET).status_code == 404, path
        r = c.post(f"/api/wall/alarms/{b_id}/reject", json={"reason": "x"}, headers=STREET)
        assert r.status_code == 404, r.text
        r = c.put(
            "/api/wall/walls/mine", json={"rows": 1, "cols": 1, "area": street_b}, headers=STREET
        )
        assert r.status_code == 403, r.text
        r = c.put(
            "/api/wall/walls/street-a/monitors/0/tiles/0", json={"camera_id": cam_b}, headers=STREET
        )
        assert r.status_code == 422 and "area" in r.text, r.text
        assert c.get("/api/wall/scenes", headers=STREET).status_code == 403

        # the county token sees every wall, alarm and snapshot
        assert c.get("/api/wall/walls", headers=AUTH).json() == ["county", "street-a", "street-b"]
        assert {x["camera_id"] for x in c.get("/api/wall/alarms").json()} == {cam_a, cam_b}
        assert c.get(f"/api/wall/snapshots/{b.snapshot_id}").status_code == 200
        r = c.put("/api/wall/walls/bad", json={"rows": 1, "cols": 1, "area": "339901099"})
        assert r.status_code == 422 and "unknown street '339901099'" in r.text, r.text


def test_a_street_token_wall_page_shows_its_street_alarm_only(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    """In headless Chromium: the street's wall, opened with the street's token, pops the
    street's alarm tile and never the other street's."""
    cam_a = "cam-01"
    street_a = street_of(wall_server, cam_a)
    cam_b = next(
        c
        for c, cam in sorted(wall_server.district.cameras.items())
        if street_of(wall_server, c) != street_a and "06010" in cam.zones[0].categories
    )
    wall_server.app.state.tokens[STREET_TOKEN] = Principal(
        "op-a", "operator", None, Area("street", street_a)
    )
    with wall_server.client() as c:
        for name, area in (("county", None), ("street-a", street_a)):
            spec = {"rows": 1, "cols": 1, "layout": "4"} | ({"area": area} if area else {})
            c.put(f"/api/wall/walls/{name}", json=spec).raise_for_status()
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        try:
            page.goto(f"{wall_server.url}/wall/?wall=street-a&monitor=0#token={STREET_TOKEN}")
            publisher.alert(wall_server.district, cam_b, "06010", snapshot=JPEG_STUB)
            publisher.alert(wall_server.district, cam_a, "06010", snapshot=JPEG_STUB)
            page.wait_for_function("() => document.querySelector('gw-tile[alarm]')", timeout=20_000)

            def county_has(cam: str) -> bool:
                alarms = c.get("/api/wall/walls/county").json()["alarms"].values()
                return cam in {x["camera_id"] for x in alarms}

            wait_for(lambda: county_has(cam_b), 20, "the other street's alarm on the county wall")
            page.wait_for_timeout(500)  # a state pushed with it would have arrived by now
            cams = page.eval_on_selector_all(
                "gw-tile[alarm]", "ts => ts.map(t => t.getAttribute('camera'))"
            )
            assert cams == [cam_a], cams
        finally:
            page.close()

"""The wall's HTTP API and MQTT feed against the real server, Redis and broker: precise
errors, pages and assets served locally, bad messages dropped without harm."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from contracts.topics import TopicKind, topic_for
from tests.wall.conftest import Publisher, WallServer, wait_for

pytestmark = pytest.mark.integration
UI = Path(__file__).resolve().parents[2] / "wall_ui"


def test_no_outside_assets_in_the_ui() -> None:
    """No CDN, no web fonts, no map tiles: every URL in wall_ui is relative to the hub."""
    outside = [
        f"{p.relative_to(UI)}: {m}"
        for p in UI.rglob("*")
        if p.suffix in {".html", ".js", ".css", ".json"}
        for m in re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"'`]*", p.read_text())
        if "www.w3.org/2000/svg" not in m
    ]
    assert outside == []


def test_i18n_tables_have_the_same_keys() -> None:
    import json

    zh = json.loads((UI / "i18n" / "zh-CN.json").read_text())
    en = json.loads((UI / "i18n" / "en.json").read_text())
    assert set(zh) == set(en)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("put", "/api/wall/walls/w", {"rows": 2, "cols": 2, "colour": "red"}, 422, "colour"),
        ("put", "/api/wall/walls/w", {"rows": 9, "cols": 2}, 422, "rows"),
        (
            "put",
            "/api/wall/walls/w",
            {"rows": 1, "cols": 1, "layout": "5"},
            422,
            "unknown layout '5'",
        ),
        (
            "put",
            "/api/wall/walls/w",
            {"rows": 1, "cols": 1, "alarm_monitors": [3]},
            422,
            "alarm monitor 3",
        ),
        ("get", "/api/wall/walls/nope", None, 404, "no wall named 'nope'"),
        ("put", "/api/wall/walls/ok/monitors/0/layout", {"layout": "7"}, 422, "unknown layout '7'"),
        (
            "put",
            "/api/wall/walls/ok/monitors/0/tiles/9",
            {"camera_id": "cam-01"},
            422,
            "slot 9 is outside",
        ),
        (
            "put",
            "/api/wall/walls/ok/monitors/0/tiles/0",
            {"camera_id": "cam-99"},
            422,
            "camera 'cam-99'",
        ),
        ("post", "/api/wall/alarms/cam-01:x:06010/confirm", {}, 404, "cam-01:x:06010"),
        ("post", "/api/wall/alarms/a/reject", {"reason": ""}, 422, "reason"),
        ("post", "/api/wall/walls/ok/scene/missing", None, 404, "missing"),
        ("get", "/api/wall/snapshots/none-such-1", None, 404, "none-such-1"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    wall_server: WallServer, method: str, path: str, body: object, status: int, message: str
) -> None:
    with wall_server.client() as c:
        c.put("/api/wall/walls/ok", json={"rows": 1, "cols": 1}).raise_for_status()
        res = c.request(method, path, json=body)
    assert res.status_code == status, res.text
    assert message in res.text


def test_pages_and_assets_are_served(wall_server: WallServer) -> None:
    with httpx.Client(base_url=wall_server.url, timeout=10) as c:
        for path in ("/wall/", "/console/", "/ui/js/gw-tile.js", "/ui/i18n/zh-CN.json"):
            assert c.get(path).status_code == 200, path  # pages and assets hold no data
        assert c.get("/api/wall/district").status_code == 401  # the data needs a token
    with wall_server.client() as c:
        district = c.get("/api/wall/district").json()
        assert len(district["grids"]["features"]) == len(
            wall_server.district.raw_geojson["features"]
        )


def test_bad_changes_are_skipped_and_the_feed_keeps_following(
    wall_server: WallServer, publisher: Publisher
) -> None:
    """Junk on the hub's change stream is logged and skipped; the next alert still reaches
    the wall, and a box going offline (through the fleet service) greys its cameras."""
    feed = wall_server.parts.feed
    rt = wall_server.rt
    junk = [
        {"kind": "alarm_queued", "alarm_key": "cam-01:z:06010", "event": "not json"},
        {"kind": "alarm_queued", "alarm_key": "cam-zz:z:06010", "event": '{"camera_id": 1}'},
        {"kind": "case", "case_no": "33990120990101100001", "event": "{}"},
    ]
    for fields in junk:
        wall_server.run(rt.redis.xadd(rt.keys.changes, fields))
    wait_for(lambda: feed.skipped >= 1, 5, "the bad change to be skipped")
    with wall_server.client() as c:
        c.put("/api/wall/walls/f", json={"rows": 1, "cols": 1}).raise_for_status()
        box = wall_server.district.cameras["cam-01"].box_id
        publisher.alert(wall_server.district, "cam-01", "06010")
        alarms = wait_for(lambda: c.get("/api/wall/alarms").json(), 5, "the good alert")
        assert [a["camera_id"] for a in alarms] == ["cam-01"]
        assert alarms[0]["status"] == "verifying"
        avail = topic_for(publisher.prefix, TopicKind.AVAILABILITY, box)
        publisher.client.publish(
            avail, b'{"v":1,"box_id":"%s","state":"offline"}' % box.encode(), qos=1
        )
        wait_for(
            lambda: c.get("/api/wall/walls/f").json()["cameras"]["cam-01"]["online"] is False,
            8,
            "the box's cameras to go offline",
        )
        fleet = c.get("/api/wall/fleet").json()
        assert [(a["key"], a["action"]) for a in fleet] == [(f"box:{box}", "raise")]

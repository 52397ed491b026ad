"""A grid member's patrol report through HTTP, and its merge with a camera alarm of the same
pile (real Redis, real Mosquitto): one case, two sources, whichever came first."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.conftest import OP, Hub, Publisher, wait_for
from tests.intake.conftest import GRID, OTHER, OTHER_MEMBER, OWN_MEMBER, PILE, patrol_form
from tests.intake.jpeg import jpeg
from tests.kpis.settle import kpis_when

pytestmark = pytest.mark.integration


def _photo(name: str = "pile.jpg", **kw: Any) -> tuple[str, tuple[str, bytes, str]]:
    return ("photos", (name, jpeg(**kw), "image/jpeg"))


async def _detail(hub: Hub, no: str) -> dict[str, Any]:
    r = await hub.http.get(f"/api/cases/{no}", headers=OP)
    r.raise_for_status()
    return dict(r.json())


async def test_patrol_report_then_camera_alarm_make_one_case(
    hub: Hub, publisher: Publisher
) -> None:
    photo = _photo(taken_at="2026:11:23 08:58:02", lon=PILE[0], lat=PILE[1])
    r = await hub.http.post(
        "/api/intake/patrol",
        headers=OTHER_MEMBER,
        data=patrol_form("rep-0001-abcd", note="一堆建筑垃圾"),
        files=[photo],
    )
    assert r.status_code == 200, r.text
    filed = r.json()
    no = filed["case_no"]
    assert no == "33990120261123200001"  # county + Monday + grid member (2) + first
    assert (filed["outcome"], filed["state"]) == ("created", "dispatched")
    d = await _detail(hub, no)
    assert d["grid_code"] == GRID and d["source"] == "grid_member"
    assert (d["department"], d["platform"]) == ("enforcement-bureau", "enforcement")
    # 巡办分离: routing names the grid's member and leader; the reporter (another grid) is not
    assert d["assignees"] == ["p-339901001001007-m", "p-339901001001007-l"]
    assert OTHER not in d["assignees"]
    media = d["facts"]["media"]
    assert len(media) == 1 and media[0]["exif_taken_at"] == "2026:11:23 08:58:02"
    assert abs(media[0]["exif_lon"] - PILE[0]) < 1e-5
    got = await hub.http.get(f"/api/media/{media[0]['media_id']}", headers=OP)
    assert got.content.startswith(b"\xff\xd8\xff\xe1")  # stored as sent, EXIF kept
    # the app sends it again after being offline: the same case, nothing new
    again = await hub.http.post(
        "/api/intake/patrol",
        headers=OTHER_MEMBER,
        data=patrol_form("rep-0001-abcd"),
        files=[photo],
    )
    assert again.json()["outcome"] == "duplicate" and again.json()["case_no"] == no
    # the camera sees the same pile: its alarm joins the patrol case
    publisher.alert("edge-01", camera_id="cam-01")

    async def joined() -> dict[str, Any] | None:
        d = await _detail(hub, no)
        return d if d["alarms"] else None

    d = await wait_for(joined, 20)
    assert d["alarms"] == ["cam-01:ground:06010"]
    assert d["facts"]["source"] == "grid_member"
    cases = await hub.cases()
    assert [c["case_no"] for c in cases] == [no]
    timeline = (await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)).json()
    assert [e["action"] for e in timeline] == ["report", "file", "dispatch", "attach_alarm"]
    queue = (await hub.http.get("/api/departments/enforcement-bureau/queue", headers=OP)).json()
    assert [c["case_no"] for c in queue] == [no]


async def test_camera_alarm_then_patrol_report_and_a_fix_on_the_spot(
    hub: Hub, publisher: Publisher
) -> None:
    publisher.alert("edge-01", camera_id="cam-01")

    async def one() -> list[dict[str, Any]] | None:
        return await hub.cases() or None

    (case,) = await wait_for(one, 20)
    no = case["case_no"]
    r = await hub.http.post(
        "/api/intake/patrol",
        headers=OWN_MEMBER,
        data=patrol_form("rep-0002-abcd", lon=PILE[0] + 0.0002),  # ~19 m away
        files=[_photo()],
    )
    assert r.status_code == 200, r.text
    assert r.json()["case_no"] == no and r.json()["outcome"] == "merged"
    assert r.json()["sources"] == ["video_ai", "grid_member"]
    timeline = (await hub.http.get(f"/api/cases/{no}/timeline", headers=OP)).json()
    assert timeline[-1]["action"] == "attach_report"
    assert timeline[-1]["data"]["reporter"] == "p-339901001001007-m"

    # 随手办 elsewhere (another category, so no merge): closed at once, at the grid tier
    spot = await hub.http.post(
        "/api/intake/patrol",
        headers=OWN_MEMBER,
        data=patrol_form("rep-0003-abcd", category="06036", on_the_spot="true"),
        files=[_photo(), ("after_photos", ("after.jpg", jpeg(size=3000), "image/jpeg"))],
    )
    assert spot.status_code == 200, spot.text
    assert spot.json()["state"] == "closed"
    view = await hub.rt.store.view(spot.json()["case_no"])
    assert view.closing_tier == 0 and view.assignees == ("p-339901001001007-m",)
    kpis = (await kpis_when(hub.http, OP, lambda k: k["total"]["closed"] > 0))["total"]
    assert kpis["tier_split"]["grid"] == 1
    resolve = next(e for e in await hub.rt.store.events(view.case_no) if e.action == "resolve")
    assert resolve.data["media"][0]["kind"] == "after"
    # a closed case is on no queue
    queue = (await hub.http.get("/api/departments/enforcement-bureau/queue", headers=OP)).json()
    assert view.case_no not in [c["case_no"] for c in queue]

"""Citizens (place token → triage → an operator files it), the 12345 import (twice = one
case) and its change feed, an operator's case from a wall tile, and a hand-over between
departments: through HTTP with the real Redis."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.conftest import OP, Hub
from tests.intake.conftest import GRID, PILE
from tests.intake.jpeg import jpeg

pytestmark = pytest.mark.integration
PHOTO = [("photos", ("p.jpg", jpeg(), "image/jpeg"))]


async def _token(hub: Hub, **place: str) -> str:
    r = await hub.http.get("/api/intake/place-token", headers=OP, params=place)
    r.raise_for_status()
    assert r.json()["path"] == f"/report/?place={r.json()['token']}"
    return str(r.json()["token"])


async def test_citizen_report_waits_in_triage_until_an_operator_files_it(hub: Hub) -> None:
    token = await _token(hub, camera="cam-01")
    info = (await hub.http.get(f"/public/places/{token}")).json()
    assert info["place"] == {"kind": "camera", "id": "cam-01", "name": info["place"]["name"]}
    assert {c["code"] for c in info["categories"]} >= {"06010", "06901"}
    form = {"place": token, "form_id": "f-0123456789abcdef", "category": "06010"}
    r = await hub.http.post("/public/reports", data=form | {"phone": "13800000000"}, files=PHOTO)
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    assert no[14] == "4" and r.json()["status"] == "received, waiting to be checked"
    rec = await hub.rt.store.record(no)
    assert (rec["state"], rec["grid_code"], rec["assignees"]) == ("reported", GRID, "")
    # not dispatched, not on a department's queue: on the operators' triage queue
    triage = (await hub.http.get("/api/intake/triage", headers=OP)).json()
    assert [c["case_no"] for c in triage] == [no]
    queue = (await hub.http.get("/api/departments/enforcement-bureau/queue", headers=OP)).json()
    assert queue == []
    # the same form again: refused, nothing stored
    again = await hub.http.post("/public/reports", data=form, files=PHOTO)
    assert again.status_code == 409 and no in again.json()["detail"]
    assert len(await hub.cases()) == 1
    # the citizen looks the case up: plain words, no people, no place, no phone
    seen = (await hub.http.get(f"/public/cases/{no}")).json()
    assert seen["status"] == "received, waiting to be checked" and seen["done"] is False
    assert "13800000000" not in str(seen) and "assignees" not in seen
    assert (await hub.http.get("/public/cases/33990120261123499999")).status_code == 404
    # an operator files it: dispatched by routing, on the department's queue
    filed = await hub.http.post(f"/api/intake/triage/{no}", headers=OP, json={"decision": "file"})
    assert filed.status_code == 200, filed.text
    assert filed.json()["state"] == "dispatched"
    assert filed.json()["assignees"] == ["p-339901001001007-m", "p-339901001001007-l"]
    assert (await hub.http.get("/api/intake/triage", headers=OP)).json() == []
    queue = (await hub.http.get("/api/departments/enforcement-bureau/queue", headers=OP)).json()
    assert [c["case_no"] for c in queue] == [no]
    seen = (await hub.http.get(f"/public/cases/{no}")).json()
    assert seen["status"] == "assigned to the people who handle it"
    # a second citizen of the same pile now joins the filed case
    form2 = form | {"form_id": "f-0123456789abcdee"}
    r2 = await hub.http.post("/public/reports", data=form2, files=PHOTO)
    assert r2.json()["case_no"] == no


async def test_hotline_import_twice_is_one_case_and_the_feed_reports_back(hub: Hub) -> None:
    batch: dict[str, Any] = {
        "source": "hotline",
        "system": "12345",
        "records": [
            {
                "external_ref": "GD20261123-0042",
                "category": "06901",
                "lon": PILE[0],
                "lat": PILE[1],
                "note": "楼道里堆了很多液化气瓶",
                "phone": "13900000000",
            },
            {
                "external_ref": "GD20261123-0043",
                "category": "08004",
                "lon": 120.3300,
                "lat": 30.1200,
            },
        ],
    }
    first = await hub.http.post("/api/intake/import", headers=OP, json=batch)
    assert first.status_code == 200, first.text
    recs = first.json()["records"]
    assert [r["outcome"] for r in recs] == ["created", "created"]
    assert all(r["case_no"][14] == "3" for r in recs)
    second = await hub.http.post("/api/intake/import", headers=OP, json=batch)
    assert [r["outcome"] for r in second.json()["records"]] == ["duplicate", "duplicate"]
    assert [r["case_no"] for r in second.json()["records"]] == [r["case_no"] for r in recs]
    assert len(await hub.cases()) == 2
    gas = await hub.rt.store.record(recs[0]["case_no"])
    assert (gas["department"], gas["platform"], gas["external_ref"]) == (
        "emergency-gas",
        "governance",
        "GD20261123-0042",
    )
    feed = (await hub.http.get("/api/intake/feed/hotline", headers=OP)).json()
    assert {(c["ref"], c["action"]) for c in feed["changes"]} >= {
        ("12345:GD20261123-0042", "dispatch"),
        ("12345:GD20261123-0043", "dispatch"),
    }
    # status back: the next change of one of its cases, after the cursor
    await hub.rt.cases.act(recs[0]["case_no"], "accept", "responder:p-339901001001007-m")
    more = (
        await hub.http.get("/api/intake/feed/hotline", headers=OP, params={"after": feed["next"]})
    ).json()
    assert [(c["case_no"], c["state"]) for c in more["changes"]] == [
        (recs[0]["case_no"], "accepted")
    ]
    assert (await hub.http.get("/api/intake/feed/public", headers=OP)).json()["changes"] == []


async def test_operator_files_from_a_wall_tile_and_hands_the_case_over(hub: Hub) -> None:
    await hub.rt.redis.set(hub.rt.keys.snapshot("snap-wall-1"), jpeg(), ex=60)
    form = {
        "request_id": "op-req-0001",
        "category": "06010",
        "lon": str(PILE[0] + 0.003),
        "lat": str(PILE[1]),
        "via": "wall",
        "camera_id": "cam-01",
        "snapshot_id": "snap-wall-1",
        "note": "seen on the wall",
    }
    r = await hub.http.post("/api/intake/operator", headers=OP, data=form)
    assert r.status_code == 200, r.text
    no = r.json()["case_no"]
    assert no[14] == "9" and r.json()["state"] == "dispatched"
    view = await hub.rt.store.view(no)
    assert view.facts["camera_still"] == {"camera_id": "cam-01", "snapshot_id": "snap-wall-1"}
    assert await hub.rt.redis.ttl(hub.rt.keys.snapshot("snap-wall-1")) > 86_400  # kept
    # handed to the service centre: needs a reason; moves queues; counts against the first
    no_reason = await hub.http.post(
        f"/api/cases/{no}/hand-over",
        headers=OP,
        json={"department": "service-centre", "reason": ""},
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    h = await hub.http.post(
        f"/api/cases/{no}/hand-over",
        headers=OP,
        json={"department": "service-centre", "reason": "a bin, not dumping"},
    )
    assert h.status_code == 200, h.text
    assert h.json() == {"case_no": no, "department": "service-centre", "handovers": 1}
    q = await hub.http.get("/api/departments/service-centre/queue", headers=OP)
    assert [c["case_no"] for c in q.json()] == [no]
    assert (
        await hub.http.get("/api/departments/enforcement-bureau/queue", headers=OP)
    ).json() == []
    deps = {
        d["id"]: d
        for d in (await hub.http.get("/api/departments", headers=OP)).json()["departments"]
    }
    assert deps["enforcement-bureau"]["rework_handovers"] == 1
    assert deps["service-centre"]["open"] == 1 and deps["service-centre"]["platform"] == "services"
    # a responder may not hand over
    resp = {"Authorization": "Bearer resp-token-0123456789abc"}
    again = await hub.http.post(
        f"/api/cases/{no}/hand-over",
        headers=resp,
        json={"department": "emergency-gas", "reason": "x"},
    )
    assert again.status_code == 403


async def test_csv_upload_is_the_same_import(hub: Hub) -> None:
    csv_text = (
        "\ufeffexternal_ref,category,lon,lat,note\n"
        f"GD-7,06010,{PILE[0]},{PILE[1]},门口垃圾\n"
        "GD-8,08004,120.33,30.12,\n"
    )
    url = "/api/intake/import.csv?source=hotline&system=12345"
    headers = OP | {"Content-Type": "text/csv"}
    r = await hub.http.post(url, headers=headers, content=csv_text.encode())
    assert r.status_code == 200, r.text
    first = r.json()["records"]
    assert [(x["external_ref"], x["outcome"]) for x in first] == [
        ("GD-7", "created"),
        ("GD-8", "created"),
    ]
    # the same record again as JSON: the same reference, the same case
    batch = {
        "source": "hotline",
        "records": [{"external_ref": "GD-7", "category": "06010", "lon": PILE[0], "lat": PILE[1]}],
    }
    again = (await hub.http.post("/api/intake/import", headers=OP, json=batch)).json()
    assert again["records"][0]["case_no"] == first[0]["case_no"]
    assert again["records"][0]["outcome"] == "duplicate"
    # a bad line refuses the upload by line number; nothing stored
    bad = "external_ref,category,lon,lat\nGD-9,06010,120.30,30.10\nGD-10,06010,east,30.1\n"
    r = await hub.http.post(url, headers=headers, content=bad.encode())
    assert r.status_code == 422
    assert r.json()["detail"]["problems"] == [
        "line 3: lon: Input should be a valid number, unable to parse string as a number"
    ]
    wrong = "ref,category,lon,lat\nGD-11,06010,120.3,30.1\n"
    r = await hub.http.post(url, headers=headers, content=wrong.encode())
    assert r.status_code == 422 and "missing ['external_ref']" in r.text
    assert len(await hub.cases()) == 2


async def test_two_citizens_one_pile_filed_from_triage_make_one_case(hub: Hub) -> None:
    token = await _token(hub, grid=GRID)
    nos = []
    for i in range(2):
        form = {"place": token, "form_id": f"f-twopiles-{i:08d}", "category": "06010"}
        xy = {"lon": str(PILE[0] + 0.0001 * i), "lat": str(PILE[1])}
        r = await hub.http.post("/public/reports", data=form | xy, files=PHOTO)
        assert r.status_code == 201, r.text
        nos.append(r.json()["case_no"])
    assert nos[0] != nos[1]  # neither filed yet: two reports wait in triage
    first = await hub.http.post(
        f"/api/intake/triage/{nos[0]}", headers=OP, json={"decision": "file"}
    )
    assert first.json()["state"] == "dispatched"
    second = await hub.http.post(
        f"/api/intake/triage/{nos[1]}", headers=OP, json={"decision": "file"}
    )
    assert second.status_code == 200, second.text
    assert (second.json()["state"], second.json()["merged_into"]) == ("merged", nos[0])
    timeline = (await hub.http.get(f"/api/cases/{nos[0]}/timeline", headers=OP)).json()
    assert timeline[-1]["action"] == "attach_report"
    assert timeline[-1]["data"]["case_no"] == nos[1]
    assert (await hub.http.get("/api/intake/triage", headers=OP)).json() == []
    seen = (await hub.http.get(f"/public/cases/{nos[1]}")).json()
    assert seen["merged_into"] == nos[0] and seen["status"].startswith("joined with another")
    open_cases = [c for c in await hub.cases() if c["state"] not in ("merged",)]
    assert [c["case_no"] for c in open_cases] == [nos[0]]

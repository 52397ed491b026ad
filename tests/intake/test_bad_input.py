"""Each intake path's bad input gets a clear error and stores nothing: no case, no photo, no
reference, no counter step (real Redis, HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.conftest import OP, Hub
from tests.intake.conftest import OWN_MEMBER, PILE, keys_like, patrol_form
from tests.intake.jpeg import jpeg

pytestmark = pytest.mark.integration
OUTSIDE = {"lon": "121.9", "lat": "31.9"}
BIG = 20 * 1000 * 1000


def _files(data: bytes, name: str = "p.jpg", kind: str = "image/jpeg") -> list[Any]:
    return [("photos", (name, data, kind))]


async def test_bad_input_on_every_path_stores_nothing(hub: Hub) -> None:
    tok = (
        await hub.http.get(
            "/api/intake/place-token", headers=OP, params={"grid": "339901001001007"}
        )
    ).json()["token"]
    citizen = {"place": tok, "form_id": "f-aaaaaaaaaaaaaaaa", "category": "06010"}
    patrol = "/api/intake/patrol"
    rows: list[tuple[str, str, dict[str, Any], int, str]] = [
        # (path, headers, request, status, words in the error)
        (patrol, "member", {"data": patrol_form("rep-bad-0001")}, 422, "needs at least one photo"),
        (
            patrol,
            "member",
            {"data": patrol_form("rep-bad-0002"), "files": _files(jpeg(size=BIG))},
            413,
            "over the 5,000,000-byte limit",
        ),
        (
            patrol,
            "member",
            {"data": patrol_form("rep-bad-0003") | OUTSIDE, "files": _files(jpeg())},
            422,
            "outside the district's grids",
        ),
        (
            patrol,
            "member",
            {"data": patrol_form("rep-bad-0004", category="99999"), "files": _files(jpeg())},
            422,
            "unknown category '99999'",
        ),
        (
            patrol,
            "member",
            {
                "data": patrol_form("rep-bad-0005"),
                "files": _files(b"GIF89a" + b"\x00" * 99, "p.gif", "image/gif"),
            },
            415,
            "is not a JPEG, PNG or WebP",
        ),
        (
            patrol,
            "member",
            {"data": patrol_form("rep-bad-0006", on_the_spot="true"), "files": _files(jpeg())},
            422,
            "needs an after-photo",
        ),
        (
            patrol,
            "member",
            {"data": {"report_id": "rep-bad-0007", "category": "06010"}, "files": _files(jpeg())},
            422,
            "no position",
        ),
        (
            patrol,
            "operator",
            {"data": patrol_form("rep-bad-0008"), "files": _files(jpeg())},
            403,
            "grid members",
        ),
        ("/public/reports", "", {"data": citizen}, 422, "needs at least one photo"),
        ("/public/reports", "", {"data": citizen, "files": _files(jpeg(size=BIG))}, 413, "limit"),
        (
            "/public/reports",
            "",
            {"data": citizen | {"category": "垃圾"}, "files": _files(jpeg())},
            422,
            "unknown category",
        ),
        (
            "/public/reports",
            "",
            {"data": citizen | OUTSIDE, "files": _files(jpeg())},
            422,
            "outside the district's grids",
        ),
        (
            "/public/reports",
            "",
            {"data": citizen | {"place": tok[:-2] + "AA"}, "files": _files(jpeg())},
            404,
            "not one of ours",
        ),
        (
            "/api/intake/operator",
            "operator",
            {
                "data": {
                    "request_id": "op-bad-0001",
                    "category": "06010",
                    "lon": "121.9",
                    "lat": "31.9",
                }
            },
            422,
            "outside the district's grids",
        ),
        (
            "/api/intake/operator",
            "operator",
            {
                "data": {
                    "request_id": "op-bad-0002",
                    "category": "06010",
                    "lon": str(PILE[0]),
                    "lat": str(PILE[1]),
                    "via": "wall",
                    "camera_id": "cam-01",
                    "snapshot_id": "gone-1",
                }
            },
            404,
            "no still 'gone-1'",
        ),
        (
            "/api/intake/operator",
            "operator",
            {"data": {"request_id": "op-bad-0003", "category": "06010"}},
            422,
            "no position",
        ),
        (
            "/api/intake/operator",
            "operator",
            {
                "data": {
                    "request_id": "op-bad-0004",
                    "category": "06010",
                    "via": "wall",
                    "camera_id": "cam-404",
                }
            },
            422,
            "names its tile's camera: 'cam-404'",
        ),
    ]
    headers = {"member": OWN_MEMBER, "operator": OP, "": {}}
    for path, who, req, status, words in rows:
        r = await hub.http.post(path, headers=headers[who], **req)
        assert (r.status_code, words in r.text) == (status, True), (
            path,
            req.get("data"),
            r.text[:300],
        )
    # an import with one bad record among good ones: refused whole, each problem listed
    batch = {
        "source": "hotline",
        "records": [
            {"external_ref": "ok-1", "category": "06010", "lon": PILE[0], "lat": PILE[1]},
            {"external_ref": "bad-1", "category": "12345", "lon": PILE[0], "lat": PILE[1]},
            {"external_ref": "bad-2", "category": "06010", "lon": 121.9, "lat": 31.9},
        ],
    }
    r = await hub.http.post("/api/intake/import", headers=OP, json=batch)
    assert r.status_code == 422
    problems = r.json()["detail"]["problems"]
    assert len(problems) == 2 and "unknown category '12345'" in problems[0]
    assert "outside the district's grids" in problems[1] and r.json()["detail"]["stored"] == 0
    # nothing of any of them is stored
    p = hub.rt.keys.prefix
    assert await hub.cases() == []
    assert await keys_like(hub.rt.redis, f"{p}:media:*") == []
    assert await keys_like(hub.rt.redis, f"{p}:intake:ref:*") == []
    assert await keys_like(hub.rt.redis, f"{p}:caseseq:*") == []
    # and a good report still goes in afterwards, as the day's first case
    ok = await hub.http.post(
        patrol, headers=OWN_MEMBER, data=patrol_form("rep-good-0001"), files=_files(jpeg())
    )
    assert ok.status_code == 200 and ok.json()["case_no"].endswith("200001")


async def test_citizen_reports_are_rate_limited_per_address(hub: Hub) -> None:
    tok = (
        await hub.http.get(
            "/api/intake/place-token", headers=OP, params={"grid": "339901001001007"}
        )
    ).json()["token"]
    allowed = hub.rt.settings.intake.public_reports_per_window
    codes = []
    for i in range(allowed + 1):
        form = {"place": tok, "form_id": f"f-rate-{i:012d}", "category": "06036"}
        r = await hub.http.post("/public/reports", data=form, files=_files(jpeg()))
        codes.append(r.status_code)
    assert codes == [201] * allowed + [429]

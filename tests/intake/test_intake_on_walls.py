"""Every intake path on the whole hub (wall included): a patrol report, a citizen's report
filed from triage, a 12345 import and an operator's case each become a numbered case with
its source, in the right grid, on the right department's queue, and on the right street
room's wall (a ticker line on its live stream) and not on another street's."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest

from hub.api.auth import Principal
from tests.intake.conftest import GRID, PILE
from tests.intake.jpeg import jpeg
from tests.wall.conftest import (  # noqa: F401  (fixtures)
    AUTH,
    WallServer,
    district,
    wait_for,
    wall_clock,
    wall_database_url,
    wall_server,
)

pytestmark = pytest.mark.integration
MEMBER = "p-339901001001007-m"  # the grid member of GRID
MEMBER_TOKEN = "member-token-walls-0123456789"
PHOTO = [("photos", ("p.jpg", jpeg(), "image/jpeg"))]


class Ticker:
    """The ticker lines of one wall's live stream, read in a thread."""

    def __init__(self, srv: WallServer, wall: str) -> None:
        self.srv, self.wall = srv, wall
        self.ready = threading.Event()
        self.cases: list[dict[str, Any]] = []
        self.client = httpx.Client(base_url=srv.url, headers=AUTH, timeout=30)
        self.stopping = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            with self.client.stream("GET", f"/api/wall/walls/{self.wall}/events") as r:
                name = ""
                for line in r.iter_lines():
                    if self.stopping:
                        return
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: ") and name == "state":
                        self.ready.set()
                    elif line.startswith("data: ") and name == "ticker":
                        self.cases.append(json.loads(line[6:]))
        except (httpx.HTTPError, RuntimeError, OSError):
            if not self.stopping:
                raise

    def close(self, c: httpx.Client, spec: dict[str, Any]) -> None:
        """Hang up before the hub stops (an open stream would hold its shutdown): the wall
        defined again sends one more state, after which the reader stops."""
        self.stopping = True
        c.put(f"/api/wall/walls/{self.wall}", json=spec).raise_for_status()
        self.thread.join(10)
        assert not self.thread.is_alive(), f"{self.wall}'s stream still open"
        self.client.close()

    def numbers(self) -> set[str]:
        return {str(c.get("case_no")) for c in self.cases}


def test_each_path_reaches_its_grid_department_and_street_wall(
    wall_server: WallServer,  # noqa: F811
) -> None:
    srv = wall_server
    srv.app.state.tokens[MEMBER_TOKEN] = Principal(MEMBER, "responder", MEMBER)
    street_a = GRID[:9]
    zones = srv.rt.ctx.zones
    cam_b, place_b = next(
        (cam, p)
        for (cam, _z), p in sorted(zones.items())
        if p.grid_code and not p.grid_code.startswith(street_a)
    )
    grid_b = str(place_b.grid_code)
    street_b = grid_b[:9]
    target_b = srv.district.cameras[cam_b].zones[0].target
    with srv.client() as c:
        specs = {
            name: {"rows": 1, "cols": 1, "area": area}
            for name, area in (("street-a", street_a), ("street-b", street_b))
        }
        for name, spec in specs.items():
            c.put(f"/api/wall/walls/{name}", json=spec).raise_for_status()
        walls = {"street-a": Ticker(srv, "street-a"), "street-b": Ticker(srv, "street-b")}
        for t in walls.values():
            assert t.ready.wait(15), t.wall

        # a grid member's patrol report at the pile (street A)
        member = {"Authorization": f"Bearer {MEMBER_TOKEN}"}
        form = {"report_id": "rep-walls-0001", "category": "06010"}
        form |= {"lon": str(PILE[0]), "lat": str(PILE[1])}
        r = c.post("/api/intake/patrol", data=form, files=PHOTO, headers=member)
        assert r.status_code == 200, r.text
        patrol = r.json()["case_no"]
        # a citizen in street B, filed from triage
        tok = c.get("/api/intake/place-token", params={"grid": grid_b}).json()["token"]
        form = {"place": tok, "form_id": "f-walls-00000001", "category": "06036"}
        r = httpx.post(f"{srv.url}/public/reports", data=form, files=PHOTO, timeout=10)
        assert r.status_code == 201, r.text
        citizen = r.json()["case_no"]
        r = c.post(f"/api/intake/triage/{citizen}", json={"decision": "file"})
        assert r.status_code == 200, r.text
        # a 12345 record in street B, twice
        rec = {"external_ref": "W-1", "category": "08004", "lon": target_b.lon, "lat": target_b.lat}
        for outcome in ("created", "duplicate"):
            r = c.post("/api/intake/import", json={"source": "hotline", "records": [rec]})
            assert r.status_code == 200 and r.json()["records"][0]["outcome"] == outcome, r.text
        hotline = r.json()["records"][0]["case_no"]
        # an operator's case from a phone call in street A
        form = {"request_id": "req-walls-0001", "category": "06036", "via": "call"}
        form |= {"lon": str(PILE[0]), "lat": str(PILE[1])}
        r = c.post("/api/intake/operator", data=form)
        assert r.status_code == 200, r.text
        operator = r.json()["case_no"]

        want = {
            patrol: ("2", GRID, "enforcement-bureau", "street-a"),
            citizen: ("4", grid_b, "enforcement-bureau", "street-b"),
            hotline: ("3", None, "housing-construction", "street-b"),
            operator: ("9", GRID, "enforcement-bureau", "street-a"),
        }
        assert len(want) == 4  # four numbered cases
        for no, (digit, grid, dep, wall) in want.items():
            d = c.get(f"/api/cases/{no}").json()
            assert no[14] == digit, (no, d["source"])
            assert grid is None or d["grid_code"] == grid, (no, d["grid_code"])
            assert d["grid_code"].startswith(street_a if wall == "street-a" else street_b)
            queue = {x["case_no"] for x in c.get(f"/api/departments/{dep}/queue").json()}
            assert no in queue, (no, dep)
            other = "street-b" if wall == "street-a" else "street-a"
            wait_for(lambda no=no, wall=wall: no in walls[wall].numbers(), 15, f"{no} on {wall}")
            assert no not in walls[other].numbers(), (no, other)
        assert walls["street-a"].numbers() == {patrol, operator}
        assert walls["street-b"].numbers() == {citizen, hotline}
        for name, t in walls.items():
            t.close(c, specs[name])

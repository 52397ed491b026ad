"""The console's intake panel in headless Chromium against the whole hub (wall included):
an operator files a case from an alarm tile of the wall (its snapshot kept with the case),
files a citizen's report out of triage, and uploads a 12345 CSV twice (the same two cases)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.intake.jpeg import jpeg as exif_jpeg
from tests.wall.conftest import (  # noqa: F401  (fixtures)
    Publisher,
    WallServer,
    browser,
    district,
    publisher,
    wait_for,
    wall_clock,
    wall_database_url,
    wall_server,
)
from tests.wall.test_wall_browser import define_wall, jpeg

pytestmark = pytest.mark.integration
DESK = {"width": 1600, "height": 1400}


def test_console_files_from_a_wall_tile_triages_and_imports(
    browser: Any,  # noqa: F811
    wall_server: WallServer,  # noqa: F811
    publisher: Publisher,  # noqa: F811
    tmp_path: Path,
) -> None:
    srv = wall_server
    define_wall(srv, "desk", {"rows": 1, "cols": 1, "layout": "4"}, {(0, 0): "cam-02"})
    publisher.alert(srv.district, "cam-01", "06010", confidence=0.62, snapshot=jpeg())
    with srv.client() as c:
        alarm = wait_for(lambda: (c.get("/api/wall/alarms").json() or [None])[0], 10, "an alarm")
        tok = c.get("/api/intake/place-token", params={"camera": "cam-03"}).json()["token"]
    with httpx.Client(base_url=srv.url, timeout=10) as anon:  # a citizen, no account
        r = anon.post(
            "/public/reports",
            data={"place": tok, "form_id": "f-console-000000001", "category": "06036"},
            files=[("photos", ("p.jpg", exif_jpeg(), "image/jpeg"))],
        )
        assert r.status_code == 201, r.text
        citizen_no = r.json()["case_no"]
    page = browser.new_page(viewport=DESK)
    try:
        page.goto(srv.page_url("/console/?wall=desk"))
        tile = page.locator(f'#wall-preview .s[data-alarm="{alarm["alarm_id"]}"]')
        tile.wait_for(timeout=15_000)
        tile.click()
        assert page.inner_text("#file-tile") == "⚠ cam-01"
        page.select_option("#file-case [name=category]", "06036")
        page.fill("#file-case [name=note]", "杂物堆在路口")
        page.click("#file-case button")
        page.wait_for_function(
            "() => document.querySelector('#file-note').dataset.caseNo", timeout=10_000
        )
        no = page.eval_on_selector("#file-note", "e => e.dataset.caseNo")
        assert "(+ still)" in page.inner_text("#file-note")
        with srv.client() as c:
            d = c.get(f"/api/cases/{no}").json()
        assert no[14] == "9" and d["state"] == "dispatched" and d["category"] == "06036"
        assert d["facts"]["camera_still"] == {
            "camera_id": "cam-01",
            "snapshot_id": alarm["snapshot_id"],
        }
        assert d["facts"]["via"] == "wall" and d["facts"]["note"] == "杂物堆在路口"
        assert d["grid_code"] == srv.rt.ctx.zones[("cam-01", "ground")].grid_code

        # the citizen's report waits in triage; filed from the console, it is dispatched
        row = page.locator(f'#triage li[data-case="{citizen_no}"]')
        row.wait_for(timeout=10_000)
        row.locator("button.file").click()
        row.wait_for(state="detached", timeout=10_000)
        with srv.client() as c:
            assert c.get(f"/api/cases/{citizen_no}").json()["state"] == "dispatched"

        # a 12345 CSV upload
        csv_file = tmp_path / "hotline.csv"
        csv_file.write_text(
            "external_ref,category,lon,lat,note\nGD-1,06010,120.33,30.12,门口垃圾\n"
            "GD-2,08004,120.33,30.12,\n",
            encoding="utf-8",
        )
        page.set_input_files("#import-csv [name=file]", str(csv_file))
        page.click("#import-csv button")
        page.wait_for_function(
            "() => document.querySelector('#import-note').textContent.includes('2 created')",
            timeout=10_000,
        )
        # the same records again: the same two cases, nothing new
        page.click("#import-csv button")
        page.wait_for_function(
            "() => document.querySelector('#import-note').textContent.includes('2 duplicate')",
            timeout=10_000,
        )
        with srv.client() as c:
            refs = [x.get("external_ref") for x in c.get("/api/cases?limit=50").json()]
        assert sorted(r for r in refs if r) == ["GD-1", "GD-2"]
    finally:
        page.close()

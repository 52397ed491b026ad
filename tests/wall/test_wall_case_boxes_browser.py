"""Detection boxes on a case filed automatically, in headless Chromium: the case never waited
in the verification queue, yet its wall tile draws the detector's boxes on the snapshot, at
the same places and in the same way as a queued alarm's tile (alerts over MQTT, the hub's
ingest, correlation and change stream, the real wall page); the console's case detail draws
them too."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.messages import DetectionBox
from tests.wall.conftest import ARTIFACTS, Publisher, WallServer, wait_for
from tests.wall.test_wall_browser import ALL_LIVE, define_wall, jpeg, open_monitor

pytestmark = pytest.mark.integration

# each drawn <rect> as the page lays it out, relative to the snapshot under it
DRAWN = """t => {
  const root = t.shadowRoot, snap = root.querySelector('.snap').getBoundingClientRect();
  const svg = root.querySelector('.boxes').getBoundingClientRect();
  return {
    snap: [snap.left, snap.top, snap.width, snap.height],
    svg: [svg.left, svg.top, svg.width, svg.height],
    src: root.querySelector('.snap').getAttribute('src'),
    loaded: root.querySelector('.snap').naturalWidth,
    stroke: [...root.querySelectorAll('.boxes rect')].map(r => getComputedStyle(r).stroke),
    rects: [...root.querySelectorAll('.boxes rect')].map(r => {
      const b = r.getBoundingClientRect();
      return [(b.left - snap.left) / snap.width, (b.top - snap.top) / snap.height,
              (b.right - snap.left) / snap.width, (b.bottom - snap.top) / snap.height];
    }),
  };
}"""


def _boxes(*xyxy: tuple[float, float, float, float]) -> tuple[DetectionBox, ...]:
    return tuple(
        DetectionBox(xyxy_norm=b, confidence=0.8 - i / 10, class_name="gas_cylinder")
        for i, b in enumerate(xyxy)
    )


def _drawn(tile: Any, n: int) -> dict[str, Any]:
    """The tile's drawing once its snapshot has loaded and ``n`` boxes are drawn."""
    return dict(
        wait_for(
            lambda: (lambda d: d if d["loaded"] and len(d["rects"]) == n else None)(
                tile.evaluate(DRAWN)
            ),
            8,
            f"the snapshot with {n} boxes",
        )
    )


def _assert_on_snapshot(drawn: dict[str, Any], boxes: tuple[DetectionBox, ...]) -> None:
    assert drawn["svg"] == pytest.approx(drawn["snap"], abs=1)  # the overlay covers the image
    assert drawn["snap"][2] > 100 and drawn["snap"][3] > 50  # the inset is really shown
    for got, b in zip(drawn["rects"], boxes, strict=True):
        # within two pixels of where the detector saw the object (the stroke straddles it)
        tol = 2 / min(drawn["snap"][2], drawn["snap"][3])
        assert got == pytest.approx(list(b.xyxy_norm), abs=tol), (got, b.xyxy_norm)


def test_auto_filed_case_tile_draws_its_boxes_like_a_queued_alarm(
    browser: Any, wall_server: WallServer, publisher: Publisher
) -> None:
    d = wall_server.district
    define_wall(wall_server, "bx", {"rows": 1, "cols": 1, "layout": "4"}, {(0, 0): "cam-01"})
    page = open_monitor(browser, wall_server, "bx", "0")
    try:
        page.wait_for_function(ALL_LIVE, timeout=20_000)
        queued = _boxes((0.1, 0.2, 0.35, 0.7), (0.6, 0.55, 0.8, 0.95))
        filed = _boxes((0.05, 0.1, 0.25, 0.5), (0.4, 0.3, 0.55, 0.8), (0.7, 0.6, 0.9, 0.9))
        publisher.alert(d, "cam-02", "06010", confidence=0.62, snapshot=jpeg(), boxes=queued)
        publisher.alert(d, "cam-03", "06901", confidence=0.99, snapshot=jpeg(), boxes=filed)
        page.wait_for_function(
            """() => { const t = [...document.querySelectorAll('gw-tile[alarm]')];
              return t.length === 2 && t.some(x => x.dataset.caseNo); }""",
            timeout=8_000,
        )
        q_tile = page.locator("gw-tile[alarm][data-status=verifying]")
        c_tile = page.locator("gw-tile[alarm][data-status=dispatched]")
        assert q_tile.get_attribute("camera") == "cam-02"
        assert c_tile.get_attribute("camera") == "cam-03"
        no = c_tile.get_attribute("data-case-no") or ""
        with wall_server.client() as c:
            hub = c.get(f"/api/cases/{no}").json()
            timeline = c.get(f"/api/cases/{no}/timeline").json()
        # filed by the hub without an operator: never in the verification queue
        assert [e["action"] for e in timeline] == ["report", "file", "dispatch"]
        assert timeline[1]["actor"] == "system:auto"
        assert len(hub["boxes"]) == 3
        q_drawn, c_drawn = _drawn(q_tile, len(queued)), _drawn(c_tile, len(filed))
        _assert_on_snapshot(q_drawn, queued)
        _assert_on_snapshot(c_drawn, filed)
        assert f"/snapshots/{hub['boxes_snapshot_id']}?" in c_drawn["src"]
        assert set(c_drawn["stroke"]) == set(q_drawn["stroke"]) == {"rgb(255, 45, 45)"}
        # the alarm tiles play their cameras live under the inset
        page.wait_for_function(
            """() => [...document.querySelectorAll('gw-tile[alarm]')]
              .every(t => t.state === 'live' && t.frames > 2)""",
            timeout=15_000,
        )
        page.screenshot(path=str(ARTIFACTS / "wall-auto-filed-case-boxes.png"))
        c_tile.screenshot(path=str(ARTIFACTS / "wall-auto-filed-case-boxes-tile.png"))
    finally:
        page.close()
    # the console's case detail draws the same boxes on the same snapshot
    desk = browser.new_page(viewport={"width": 1600, "height": 1000})
    try:
        desk.goto(wall_server.page_url("/console/?wall=bx"))
        desk.locator(f'#cases li.case[data-case-no="{no}"]').click(timeout=8_000)
        desk.locator("#detail .thumb svg rect").nth(len(filed) - 1).wait_for(timeout=5_000)
        rects = desk.eval_on_selector_all(
            "#detail .thumb svg rect",
            "l => l.map(r => ['x', 'y', 'width', 'height'].map(a => +r.getAttribute(a)))",
        )
        assert rects == [
            pytest.approx([x0, y0, x1 - x0, y1 - y0])
            for x0, y0, x1, y1 in (b.xyxy_norm for b in filed)
        ]
        src = desk.locator("#detail .thumb img").get_attribute("src") or ""
        assert f"/snapshots/{hub['boxes_snapshot_id']}?" in src
    finally:
        desk.close()

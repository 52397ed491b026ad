"""The console's assessment page in headless Chromium against the whole hub with its case
history in PostgreSQL (the fixed data set of ``test_reports``): the charts are drawn as SVG
with one bar per figure a unit has, the ranking follows ``hub.reports.shaping.rank`` and
re-sorts on a header click, a click on a bar or a figure lists the cases behind it, and the
XLSX and PDF downloads are saved and open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from hub.reports.shaping import rank
from hub.reports.xlsx import TABLE_ROW
from tests.records.test_reports import seed
from tests.wall.conftest import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    WAIT_MS,
    WallServer,
    browser,
    district,
    wall_clock,
    wall_server,
)
from tests.wall.test_wall_browser import define_wall

pytestmark = pytest.mark.integration
DESK = {"width": 1600, "height": 1400}
NOV = {"period": "month", "day": "2026-11-15"}


@pytest.fixture
def wall_database_url(database_url: str) -> str:
    return database_url


def _show(page: Any, level: str) -> None:
    page.select_option("#assess-form [name=level]", level)
    page.fill("#assess-form [name=day]", NOV["day"])
    page.click("#assess-form button[data-i18n='assess.show']")


def _order(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all("#assess-table tbody tr", "rs => rs.map(r => r.dataset.key)")
    )


def _behind(page: Any, selector: str) -> list[str]:
    """Click a bar or a figure; the case numbers listed for it."""
    el = page.locator(selector)
    key, figure = el.get_attribute("data-key"), el.get_attribute("data-figure")
    el.click()
    page.locator(f"#assess-cases ol.behind[data-key='{key}'][data-figure='{figure}']").wait_for(
        state="attached", timeout=WAIT_MS
    )
    return list(
        page.eval_on_selector_all(
            "#assess-cases ol.behind li", "ls => ls.map(l => l.dataset.caseNo)"
        )
    )


def test_assessment_page_charts_ranking_traces_and_downloads(
    browser: Any,  # noqa: F811
    wall_server: WallServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    srv = wall_server
    assert srv.rt.records is not None
    seed(srv.rt.records.engine)
    define_wall(srv, "desk", {"rows": 1, "cols": 1, "layout": "4"}, {})
    with srv.client() as c:
        streets = c.get("/api/reports", params={**NOV, "level": "street"}).json()["rows"]
    page = browser.new_page(viewport=DESK, accept_downloads=True)
    try:
        logs: list[str] = []
        page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: logs.append(f"error: {e}"))
        page.goto(srv.page_url("/console/?wall=desk"))
        # the page's first report (today's month: nothing in it) is drawn: the form is wired
        page.wait_for_selector("#assess-box[data-units]", state="attached", timeout=WAIT_MS)
        _show(page, "grid")
        page.wait_for_function(
            "() => document.querySelector('#assess-box').dataset.units === '3'", timeout=WAIT_MS
        )
        # grids: G1 and G3 closed cases (closure and on-time bars), G2 closed none (a 0%
        # closure bar, no on-time bar); G2 has no rating (no satisfaction bar)
        count = "s => document.querySelectorAll(s).length"
        assert page.evaluate(count, "#assess-charts .chart-rates svg rect.bar") == 5
        assert page.evaluate(count, "#assess-charts .chart-satisfaction svg rect.bar") == 2
        # the 721 split: G1 grid + upper grid, G3 grid + enforcement, G2 nothing closed
        assert page.evaluate(count, "#assess-charts .chart-split svg rect.seg") == 4

        _show(page, "street")
        page.wait_for_function(
            "() => document.querySelector('#assess-box').dataset.units === '2'", timeout=WAIT_MS
        )
        assert page.evaluate(count, "#assess-charts .chart-rates svg rect.bar") == 4
        assert "云溪镇" in page.inner_text("#assess-table tbody tr:first-child")
        assert _order(page) == [r["key"] for r in rank(streets)] == ["339901002", "339901001"]
        page.click("#assess-table th[data-sort='rework_rate']")  # lower is better
        assert _order(page) == [r["key"] for r in rank(streets, "rework_rate")]
        page.click("#assess-table th[data-sort='rework_rate']")  # and turned round
        assert _order(page) == ["339901001", "339901002"]
        page.screenshot(path=str(ARTIFACTS / "console-assessment.png"), full_page=True)

        bar = (
            "#assess-charts .chart-rates rect.bar[data-key='339901001'][data-figure='closure_rate']"
        )
        assert _behind(page, bar) == ["c1", "c2"]
        cell = "#assess-table td[data-key='339901002'][data-figure='tier:enforcement']"
        assert _behind(page, cell) == ["c5"]
        assert "1" in page.inner_text("#assess-cases h3")

        saved = {}
        for fmt in ("xlsx", "pdf"):
            with page.expect_download(timeout=WAIT_MS) as got:
                page.click(f"#assess-{fmt}")
            d = got.value
            assert d.suggested_filename == f"gridwall-report-street-month-2026-11-01.{fmt}"
            saved[fmt] = tmp_path / d.suggested_filename
            d.save_as(saved[fmt])
            d.save_as(ARTIFACTS / d.suggested_filename)
    finally:
        page.close()
    wb = load_workbook(saved["xlsx"])
    ranking = wb.worksheets[0]
    assert [ranking.cell(TABLE_ROW + i, 2).value for i in (1, 2)] == ["云溪镇", "城关街道"]
    assert len(wb.worksheets[1]._charts) == 3
    text = PdfReader(saved["pdf"]).pages[0].extract_text()
    assert "考核报表" in text and "层级: 街道" in text and "2026-11-01 – 2026-11-30" in text

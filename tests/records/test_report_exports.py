"""``GET /api/reports/export`` and ``/api/reports/cases`` through the running hub over the
fixed data set of ``test_reports``: the XLSX opens with openpyxl with its native bar charts,
the ranking and the cases behind the figures; the PDF parses with pypdf and carries the
header, the charts' titles and the units' Chinese names; bad input is refused."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart
from pypdf import PdfReader
from redis.asyncio import Redis

from hub.api.auth import Principal
from hub.domain.area import Area
from hub.reports.shaping import Report
from hub.reports.xlsx import TABLE_ROW, build
from hub.settings import HubSettings, RecordsSettings
from tests.hub.conftest import OP, TOKENS, running_hub
from tests.records.test_reports import seed

NOV = {"period": "month", "day": "2026-11-15", "level": "street"}
STREET_TOKEN = "street-1-operator-0123456789"
STREET = {"Authorization": f"Bearer {STREET_TOKEN}"}


def _row(ws: Any, n: int) -> list[Any]:
    return [c.value for c in ws[n]]


@pytest.mark.integration
async def test_exports_and_the_cases_behind_a_figure(
    hub_settings: HubSettings, redis: Redis, database_url: str
) -> None:
    settings = hub_settings.model_copy(
        update={"records": RecordsSettings(database_url=database_url)}
    )
    street_op = Principal("op-s", "operator", None, Area("street", "339901001"))
    async with running_hub(settings, tokens={**TOKENS, STREET_TOKEN: street_op}) as hub:
        assert hub.rt.records is not None
        await asyncio.to_thread(seed, hub.rt.records.engine)

        got = await hub.http.get(
            "/api/reports/export", params={**NOV, "format": "xlsx"}, headers=OP
        )
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert (
            'filename="gridwall-report-street-month-2026-11-01.xlsx"'
            in (got.headers["content-disposition"])
        )
        wb = load_workbook(io.BytesIO(got.content))
        assert wb.sheetnames == ["排名", "图表", "案件明细"]
        ranking = wb["排名"]
        assert _row(ranking, 2)[:4] == ["周期", "月", "时段", "2026-11-01 – 2026-11-30"]
        head = _row(ranking, TABLE_ROW)
        assert head[:5] == ["名次", "单位", "编码", "案件数", "已结案"]
        first, second = (dict(zip(head, _row(ranking, TABLE_ROW + i), strict=True)) for i in (1, 2))
        # both streets closed 2 of 3; 云溪镇 ranks first on its on-time rate (1.0 against 0.5)
        assert (first["名次"], first["单位"], first["编码"]) == (1, "云溪镇", "339901002")
        assert (first["结案率"], first["按时率"], first["满意度"]) == (0.6667, 1.0, 4.0)
        assert (first["网格解决"], first["上级网格"], first["执法部门"]) == (1, 0, 1)
        assert (second["单位"], second["按时率"], second["返工率"]) == ("城关街道", 0.5, 0.5)
        charts = wb["图表"]._charts
        assert len(charts) == 3 and all(isinstance(c, BarChart) for c in charts)
        rates = charts[0]
        # the series are the table's closure and on-time columns, titled by their headers
        refs = [(s.tx.strRef.f, s.val.numRef.f) for s in rates.series]
        assert refs == [
            (f"'排名'!{c}{TABLE_ROW}", f"'排名'!${c}${TABLE_ROW + 1}:${c}${TABLE_ROW + 2}")
            for c in "FG"
        ]
        assert charts[1].grouping == "percentStacked" and len(charts[1].series) == 3
        cases_sheet = wb["案件明细"]
        listed = [
            (r[0], r[2]) for r in cases_sheet.iter_rows(min_row=TABLE_ROW + 1, values_only=True)
        ]
        assert listed == [
            ("339901001", "c1"),
            ("339901001", "c2"),
            ("339901001", "c3"),
            ("339901002", "c5"),
            ("339901002", "c6"),
            ("339901002", "c8"),
        ]

        pdf = await hub.http.get("/api/reports/export", params={**NOV, "format": "pdf"}, headers=OP)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        for want in ("Gridwall 考核报表", "周期: 月", "2026-11-01 – 2026-11-30", "层级: 街道"):
            assert want in text, (want, text[:400])
        for want in ("结案率与按时率", "721 分级结案", "云溪镇", "城关街道", "66.7%"):
            assert want in text, want
        en = await hub.http.get(
            "/api/reports/export", params={**NOV, "format": "pdf", "lang": "en"}, headers=OP
        )
        assert "Assessment report" in PdfReader(io.BytesIO(en.content)).pages[0].extract_text()

        q = {**NOV, "key": "339901001", "figure": "on_time_rate"}
        behind = await hub.http.get("/api/reports/cases", params=q, headers=OP)
        assert [c["case_no"] for c in behind.json()["cases"]] == ["c1"], behind.text
        q = {**NOV, "level": "county", "key": "339901", "limit": "2"}  # the first 2 of 6
        behind = await hub.http.get("/api/reports/cases", params=q, headers=OP)
        assert (behind.json()["total"], len(behind.json()["cases"])) == (6, 2), behind.text
        q = {**NOV, "key": "339901001", "figure": "on_time_rate"}
        q["figure"] = "tier:upper_grid"
        behind = await hub.http.get("/api/reports/cases", params=q, headers=OP)
        assert [c["case_no"] for c in behind.json()["cases"]] == ["c2"]
        names = await hub.http.get(
            "/api/reports/names", params={"level": "street", "keys": "339901001,nope"}, headers=OP
        )
        assert names.json() == {"339901001": "城关街道"}
        every = await hub.http.get("/api/reports/names", params={"level": "street"}, headers=OP)
        assert len(every.json()) == len(hub.rt.district.streets)
        many = {"level": "grid", "keys": ",".join(str(i) for i in range(2001))}
        r = await hub.http.get("/api/reports/names", params=many, headers=OP)
        assert r.status_code == 422 and "at most 2000 keys" in r.text, r.text

        for path, bad, why in (
            ("/api/reports/export", {"format": "csv"}, "format"),
            ("/api/reports/export", {"format": "pdf", "lang": "fr"}, "lang"),
            ("/api/reports/export", {"format": "xlsx", "by": "key"}, "rank by one of"),
            ("/api/reports/export", {"format": "xlsx", "level": "planet"}, "level must be"),
            ("/api/reports/cases", {"key": "339901001", "figure": "speed"}, "figure must be"),
        ):
            r = await hub.http.get(path, params={**NOV, **bad}, headers=OP)
            assert r.status_code == 422 and why in r.text, (bad, r.text)
        anon = await hub.http.get("/api/reports/export", params={**NOV, "format": "xlsx"})
        assert anon.status_code == 401

        # a street's token: its own street's figures, cases and files only
        mine = await hub.http.get(
            "/api/reports/export", params={**NOV, "format": "xlsx"}, headers=STREET
        )
        wb = load_workbook(io.BytesIO(mine.content))
        assert [r[2] for r in wb["排名"].iter_rows(min_row=TABLE_ROW + 1, values_only=True)] == [
            "339901001"
        ]
        assert [
            r[2] for r in wb["案件明细"].iter_rows(min_row=TABLE_ROW + 1, values_only=True)
        ] == ["c1", "c2", "c3"]
        other = {**NOV, "key": "339901002"}
        r = await hub.http.get("/api/reports/cases", params=other, headers=STREET)
        assert r.status_code == 404, r.text
        county = {**NOV, "level": "county", "format": "pdf"}
        r = await hub.http.get("/api/reports/export", params=county, headers=STREET)
        assert r.status_code == 403, r.text


def test_a_cases_sheet_cut_short_says_so() -> None:
    one = {"key": "g1", "case_no": "c1", "state": "closed"}
    rep = Report(
        "month",
        "grid",
        "2026-11-01T00:00:00+08:00",
        "2026-12-01T00:00:00+08:00",
        ("grid",),
        (),
        {},
        (one,),
        40_000,
        "2026-12-07 10:00",
        "en",
    )
    ws = build(rep)["Cases"]
    assert ws.cell(TABLE_ROW - 1, 1).value.startswith("40000 rows: the first 1 by unit")
    assert [r[2] for r in ws.iter_rows(min_row=TABLE_ROW + 1, values_only=True)] == ["c1"]

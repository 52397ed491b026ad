"""The assessment report as an Excel workbook (openpyxl): the ranking table with the
period/level header, a sheet of native Excel bar charts drawn from that table (closure and
on-time rate, the 721 split stacked, satisfaction), and the cases behind every figure."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hub.reports.labels import word, words
from hub.reports.shaping import CHART_MAX, COLUMNS, Report, label_of

FORMATS = {"rate": "0.0%", "minutes": "0.0", "score": "0.00", "count": "0"}
TABLE_ROW = 6  # the ranking table's header row; the period/level header is above it


def workbook_bytes(rep: Report) -> bytes:
    wb = build(rep)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def build(rep: Report) -> Workbook:
    w = words(rep.lang)
    wb = Workbook()
    ranking = wb.active
    assert ranking is not None
    ranking.title = w["ranking"]
    header(ranking, rep)
    fields = _table(ranking, rep)
    charts = wb.create_sheet(w["charts"])
    header(charts, rep)
    if rep.rows:
        _charts(charts, ranking, rep, fields)
    _cases(wb.create_sheet(w["cases_sheet"]), rep)
    return wb


def header(ws: Worksheet, rep: Report) -> None:
    w = words(rep.lang)
    ws["A1"] = f"Gridwall {w['title']}"
    ws["A1"].font = Font(size=14, bold=True)
    ws.append([w["period"], w[rep.period], w["range"], f"{rep.start[:10]} – {_last_day(rep)}"])
    ws.append([w["level"], w[rep.level], w["generated"], rep.generated])
    if not rep.rows:
        ws.append([w["none"]])


def _last_day(rep: Report) -> str:
    return (dt.datetime.fromisoformat(rep.end) - dt.timedelta(days=1)).date().isoformat()


def _table(ws: Worksheet, rep: Report) -> list[str]:
    """The ranking table from TABLE_ROW; returns its column fields in order."""
    w = words(rep.lang)
    tier_fields = [f"tier:{t}" for t in rep.tiers]
    fields = ["rank", "unit", "key", *(f for f, _ in COLUMNS), *tier_fields]
    kinds = dict(COLUMNS)
    titles = [word(w, f"tier.{f[5:]}") if f.startswith("tier:") else w[f] for f in fields]
    _put(ws, TABLE_ROW, titles, bold=True)
    for i, r in enumerate(rep.rows, start=1):
        key = str(r["key"])
        split = r.get("tier_split") or {}
        _put(
            ws,
            TABLE_ROW + i,
            [i, label_of(key, rep.names), key, *(r.get(f) for f, _ in COLUMNS)]
            + [int(split.get(t, 0)) for t in rep.tiers],
        )
        for col, f in enumerate(fields, start=1):
            if f in kinds:
                ws.cell(TABLE_ROW + i, col).number_format = FORMATS[kinds[f]]
    for col, f in enumerate(fields, start=1):
        ws.column_dimensions[get_column_letter(col)].width = 22 if f == "unit" else 12
    ws.freeze_panes = ws.cell(TABLE_ROW + 1, 3)
    return fields


def _put(ws: Worksheet, row: int, values: list[Any], bold: bool = False) -> None:
    for col, v in enumerate(values, start=1):
        cell = ws.cell(row, col, v)
        if bold:
            cell.font = Font(bold=True)


def _charts(ws: Worksheet, data: Worksheet, rep: Report, fields: list[str]) -> None:
    w = words(rep.lang)
    last = TABLE_ROW + min(len(rep.rows), CHART_MAX)
    labels = Reference(data, min_col=fields.index("unit") + 1, min_row=TABLE_ROW + 1, max_row=last)

    def col(f: str) -> Reference:
        c = fields.index(f) + 1
        return Reference(data, min_col=c, max_col=c, min_row=TABLE_ROW, max_row=last)

    rates = _bar(w["rates_chart"], labels, [col("closure_rate"), col("on_time_rate")])
    rates.y_axis.scaling.min, rates.y_axis.scaling.max = 0, 1
    rates.y_axis.numFmt = "0%"
    split = _bar(w["split_chart"], labels, [col(f"tier:{t}") for t in rep.tiers])
    split.grouping, split.overlap = "percentStacked", 100
    sat = _bar(w["satisfaction_chart"], labels, [col("satisfaction")])
    sat.y_axis.scaling.min, sat.y_axis.scaling.max = 0, 5
    for i, chart in enumerate((rates, split, sat)):
        ws.add_chart(chart, f"A{6 + i * 18}")


def _bar(title: str, labels: Reference, columns: list[Reference]) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.width, chart.height = 24, 8.5
    for c in columns:
        chart.add_data(c, titles_from_data=True)
    chart.set_categories(labels)
    return chart


CASE_FIELDS = (
    "case_no",
    "category",
    "state",
    "grid_code",
    "reported_at",
    "closed_at",
    "on_time",
    "closing_tier",
    "rework_count",
    "satisfaction",
    "supervision_orders",
)


def _cases(ws: Worksheet, rep: Report) -> None:
    """One row per unit and case: filter a unit and a column to find a figure's cases."""
    w = words(rep.lang)
    header(ws, rep)
    if rep.cases_total > len(rep.cases):
        ws.cell(TABLE_ROW - 1, 1, w["cases_cut"].format(n=len(rep.cases), total=rep.cases_total))
    _put(ws, TABLE_ROW, [w["key"], w["unit"], *(w[f] for f in CASE_FIELDS)], bold=True)
    for i, c in enumerate(rep.cases, start=1):
        key = str(c["key"])
        values: list[Any] = [c.get(f) for f in CASE_FIELDS]
        _put(ws, TABLE_ROW + i, [key, label_of(key, rep.names), *values])
    ws.auto_filter.ref = f"A{TABLE_ROW}:{get_column_letter(2 + len(CASE_FIELDS))}{ws.max_row}"
    ws.column_dimensions["C"].width = 20

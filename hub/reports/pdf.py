"""The assessment report as a PDF (reportlab): the period/level header, the charts drawn with
reportlab.graphics (closure and on-time rate, the 721 split stacked, satisfaction: the first
``CHART_MAX`` units of the ranking) and the whole ranking table. Names are Chinese, so the
text is set in a CJK TrueType font (``records.pdf_font_file``, Debian's WenQuanYi Micro Hei by
default), registered once per process."""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Sequence
from pathlib import Path

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hub.reports.labels import word, words
from hub.reports.shaping import CHART_MAX, COLUMNS, Report, label_of, series, shown, stacked

FONT = "GridwallCJK"
_lock = threading.Lock()
_registered: Path | None = None
PALETTE = (colors.HexColor("#2e86de"), colors.HexColor("#f5a623"), colors.HexColor("#c0392b"))


class FontMissing(RuntimeError):
    """The CJK font file the PDF needs is not there."""


def register_font(path: Path) -> None:
    """Register the CJK font (a .ttc's first face) under ``FONT``, once."""
    global _registered
    with _lock:
        if _registered == path:
            return
        if not path.is_file():
            raise FontMissing(
                f"PDF export needs a CJK TrueType font: {str(path)!r} not found "
                "(records.pdf_font_file; Debian: apt-get install fonts-wqy-microhei)"
            )
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
        _registered = path


def pdf_bytes(rep: Report, font_file: Path) -> bytes:
    register_font(font_file)
    w = words(rep.lang)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Gridwall {w['title']}",
    )
    title = ParagraphStyle("t", fontName=FONT, fontSize=16, leading=20)
    body = ParagraphStyle("b", fontName=FONT, fontSize=10, leading=14)
    last = (dt.datetime.fromisoformat(rep.end) - dt.timedelta(days=1)).date().isoformat()
    story: list[object] = [
        Paragraph(f"Gridwall {w['title']}", title),
        Paragraph(
            f"{w['period']}: {w[rep.period]} · {w['range']}: {rep.start[:10]} – {last} · "
            f"{w['level']}: {w[rep.level]} · {w['generated']}: {rep.generated}",
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    if not rep.rows:
        story.append(Paragraph(w["none"], body))
    else:
        shown_rows = rep.rows[:CHART_MAX]
        s = series(shown_rows, ("closure_rate", "on_time_rate", "satisfaction"), rep.names)
        story.append(
            _chart(
                w["rates_chart"],
                s.labels,
                [[100 * (v or 0) for v in s.values[f]] for f in ("closure_rate", "on_time_rate")],
                [w["closure_rate"], w["on_time_rate"]],
                100,
            )
        )
        shares = [[100 * seg.share for seg in stacked(r, rep.tiers)] for r in shown_rows]
        story.append(
            _chart(
                w["split_chart"],
                s.labels,
                [[row[i] for row in shares] for i in range(len(rep.tiers))],
                [word(w, f"tier.{t}") for t in rep.tiers],
                100,
                stacked_bars=True,
            )
        )
        sat = [v or 0 for v in s.values["satisfaction"]]
        story.append(_chart(w["satisfaction_chart"], s.labels, [sat], [w["satisfaction"]], 5))
        story.append(Spacer(1, 4 * mm))
        story.append(_table(rep))
    doc.build(story)
    return out.getvalue()


def _chart(
    title: str,
    labels: Sequence[str],
    data: list[list[float]],
    names: list[str],
    top: float,
    stacked_bars: bool = False,
) -> Drawing:
    d = Drawing(270 * mm, 62 * mm)
    d.add(String(0, 58 * mm, title, fontName=FONT, fontSize=11))
    c = VerticalBarChart()
    c.x, c.y, c.width, c.height = 14 * mm, 14 * mm, 200 * mm, 40 * mm
    c.data = data
    c.valueAxis.valueMin, c.valueAxis.valueMax = 0, top
    c.valueAxis.labels.fontName = FONT
    c.categoryAxis.categoryNames = [x[:8] for x in labels]
    c.categoryAxis.labels.fontName = FONT
    c.categoryAxis.labels.fontSize = 7
    c.categoryAxis.labels.angle = 30 if len(labels) > 8 else 0
    c.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 8 else "n"
    if stacked_bars:
        c.categoryAxis.style = "stacked"
    for i in range(len(data)):
        c.bars[i].fillColor = PALETTE[i % len(PALETTE)]
    d.add(c)
    legend = Legend()
    legend.x, legend.y = 222 * mm, 50 * mm
    legend.fontName = FONT
    legend.fontSize = 8
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], n) for i, n in enumerate(names)]
    d.add(legend)
    return d


def _table(rep: Report) -> Table:
    w = words(rep.lang)
    head = [w["rank"], w["unit"], *(w[f] for f, _ in COLUMNS)]
    head += [word(w, f"tier.{t}") for t in rep.tiers]
    body = []
    for i, r in enumerate(rep.rows, start=1):
        split = r.get("tier_split") or {}
        body.append(
            [str(i), label_of(str(r["key"]), rep.names)[:16]]
            + [shown(r.get(f), kind) for f, kind in COLUMNS]
            + [str(split.get(t, 0)) for t in rep.tiers]
        )
    t = Table([head, *body], repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe6ee")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return t

"""The case number as a QR code (一事一码): an SVG file for the evidence bundle, and inline SVG
markup for the console's case detail. The code holds the 20-digit case number alone."""

from __future__ import annotations

import io

import segno


def svg_file(case_no: str) -> bytes:
    out = io.BytesIO()
    segno.make(case_no, error="m").save(out, kind="svg", scale=6, border=4)
    return out.getvalue()


def svg_inline(case_no: str) -> str:
    return str(segno.make(case_no, error="m").svg_inline(scale=3, border=4))

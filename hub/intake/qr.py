"""A printable QR code for a place: the citizens' report page's address with the place's token,
as SVG with the place's name and the address under it (to print and stick at a grid or a
camera site)."""

from __future__ import annotations

from xml.sax.saxutils import escape

import segno


def place_qr_svg(url: str, title: str, scale: int = 6) -> str:
    qr = segno.make(url, error="m")
    width, height = qr.symbol_size(scale=scale, border=4)
    inner = qr.svg_inline(scale=scale, border=4)
    text_h = 48
    total_w = max(width, 360)
    x = (total_w - width) // 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{height + text_h}" '
        f'viewBox="0 0 {total_w} {height + text_h}">'
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<g transform="translate({x},0)">{inner}</g>'
        f'<text x="{total_w // 2}" y="{height + 18}" font-size="16" text-anchor="middle" '
        f'font-family="sans-serif">{escape(title)} · 随手拍 扫码上报</text>'
        f'<text x="{total_w // 2}" y="{height + 38}" font-size="9" text-anchor="middle" '
        f'font-family="monospace">{escape(url)}</text></svg>'
    )

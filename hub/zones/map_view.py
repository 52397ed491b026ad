"""The piece of the grid map the zone editor shows around a camera. Pure code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MARGIN_DEG = 0.006  # about 600 m around the mount and the targets


def bounds_around(points: Iterable[tuple[float, float]], margin: float = MARGIN_DEG) -> list[float]:
    pts = list(points)
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    return [min(lons) - margin, min(lats) - margin, max(lons) + margin, max(lats) + margin]


def grids_in(geojson: dict[str, Any], bounds: list[float]) -> list[dict[str, Any]]:
    """Every grid cell whose outer ring's box meets ``bounds``: code, name and that ring."""
    w, s, e, n = bounds
    out = []
    for f in geojson.get("features", []):
        geom = f.get("geometry") or {}
        if geom.get("type") != "Polygon":
            continue
        ring = geom["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        if max(xs) < w or min(xs) > e or max(ys) < s or min(ys) > n:
            continue
        props = f.get("properties") or {}
        out.append(
            {
                "code": props.get("code"),
                "name_zh": props.get("name_zh"),
                "kind": props.get("kind"),
                "ring": [[round(p[0], 7), round(p[1], 7)] for p in ring],
            }
        )
    return out

"""Point → grid cell over the district's polygons, with a spatial index.

Professional grids sit inside a basic grid; a point inside one gets the professional grid
(the most specific cell). Lookups cost microseconds; ``locate_many`` batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Polygon


@dataclass(frozen=True, slots=True)
class Cell:
    code: str
    polygon: Polygon
    professional: bool = False


class GridIndex:
    """An STRtree over grid polygons; ``locate`` answers the most specific cell or None."""

    def __init__(self, cells: Iterable[Cell]) -> None:
        ordered = sorted(cells, key=lambda c: not c.professional)  # professional first
        self._cells: list[Cell] = ordered
        self._codes = np.array([c.code for c in ordered], dtype=object)
        self._tree = STRtree([c.polygon for c in ordered])

    def __len__(self) -> int:
        return len(self._cells)

    def locate(self, lon: float, lat: float) -> str | None:
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return str(self._codes[int(hits.min())])

    def locate_many(self, points: Sequence[tuple[float, float]]) -> list[str | None]:
        """Vectorised lookup; the answer for a point is the same as ``locate``'s."""
        if not points:
            return []
        geoms = shapely.points(np.asarray(points, dtype=float))
        pt_idx, cell_idx = self._tree.query(geoms, predicate="intersects")
        best = np.full(len(points), len(self._cells), dtype=np.int64)
        np.minimum.at(best, pt_idx, cell_idx)
        return [None if b == len(self._cells) else str(self._codes[b]) for b in best]

    def overlaps(self) -> list[tuple[str, str]]:
        """Pairs of cells of the same kind whose interiors overlap (a config error)."""
        out = []
        polys = [c.polygon for c in self._cells]
        left, right = self._tree.query(polys, predicate="overlaps")
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            ca, cb = self._cells[a], self._cells[b]
            if a < b and ca.professional == cb.professional:
                out.append((ca.code, cb.code))
        contains_l, contains_r = self._tree.query(polys, predicate="contains")
        for a, b in zip(contains_l.tolist(), contains_r.tolist(), strict=True):
            ca, cb = self._cells[a], self._cells[b]
            if a != b and ca.professional == cb.professional and (cb.code, ca.code) not in out:
                out.append((ca.code, cb.code))
        return sorted(out)

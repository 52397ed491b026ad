"""Grid lookups per second over 11,263 generated cells (Hangzhou's count), single and batched.

Cells are squares of about 110 m on a 107 × 106 lattice cut to 11,263; points are uniform
over the covered area. The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import json
import random
import time

from shapely.geometry import box

from hub.domain.grid_index import Cell, GridIndex

N_CELLS = 11_263
COLS = 107
STEP = 0.001  # degrees, about 100-110 m here


def cells() -> list[Cell]:
    out = []
    for i in range(N_CELLS):
        r, c = divmod(i, COLS)
        x, y = 120.0 + c * STEP, 30.0 + r * STEP
        out.append(Cell(f"{330100000000000 + i:015d}", box(x, y, x + STEP, y + STEP)))
    return out


def main() -> None:
    rng = random.Random(7)
    grid = cells()
    t0 = time.perf_counter()
    index = GridIndex(grid)
    build_ms = (time.perf_counter() - t0) * 1000
    rows = N_CELLS // COLS
    pts = [
        (120.0 + rng.random() * COLS * STEP, 30.0 + rng.random() * rows * STEP)
        for _ in range(200_000)
    ]
    single = pts[:20_000]
    t0 = time.perf_counter()
    hits = sum(1 for lon, lat in single if index.locate(lon, lat) is not None)
    single_s = time.perf_counter() - t0
    assert hits == len(single), "every generated point lies in a cell"
    t0 = time.perf_counter()
    batch = index.locate_many(pts)
    batch_s = time.perf_counter() - t0
    assert batch[:1000] == [index.locate(*p) for p in pts[:1000]]
    print(
        json.dumps(
            {
                "cells": len(index),
                "build_ms": round(build_ms, 2),
                "single_lookups_per_s": round(len(single) / single_s),
                "single_lookup_us": round(single_s / len(single) * 1e6, 2),
                "batched_lookups_per_s": round(len(pts) / batch_s),
                "batch_size": len(pts),
            }
        )
    )


if __name__ == "__main__":
    main()

"""Time the assessment report's files (hub/reports): the XLSX (openpyxl: ranking, three
native charts, the cases sheet) and the PDF (reportlab: charts, ranking table, CJK font), built
from generated figures, so this measures the file building alone (the SQL is
``bench/history.py``'s). Best of ``--repeat``; the last line printed is one JSON object.

    .venv/bin/python bench/report_export.py --units 300 --cases 20000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

from hub.reports.pdf import pdf_bytes
from hub.reports.shaping import CASES_MAX, Report
from hub.reports.xlsx import workbook_bytes

TIERS = ("grid", "upper_grid", "enforcement")
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def make_report(units: int, n_cases: int, seed: int = 7) -> Report:
    rng = random.Random(seed)
    rows = []
    for i in range(units):
        cases = rng.randint(20, 400)
        closed = rng.randint(0, cases)
        split = [rng.randint(0, closed) for _ in TIERS]
        rows.append(
            {
                "key": f"339901001{i:06d}",
                "cases": cases,
                "closed": closed,
                "closure_rate": round(closed / cases, 4),
                "on_time_rate": round(rng.random(), 4) if closed else None,
                "median_accept_min": round(rng.uniform(2, 60), 2),
                "median_resolve_min": round(rng.uniform(30, 600), 2),
                "rework_rate": round(rng.random() / 4, 4),
                "satisfaction": round(rng.uniform(2.5, 5), 2) if closed else None,
                "rated": closed // 3,
                "supervision_orders": rng.randint(0, 5),
                "tier_split": dict(zip(TIERS, split, strict=True)),
            }
        )
    found = [
        {
            "key": rows[i % units]["key"],
            "case_no": f"33990120261101{i:06d}",
            "category": "06010",
            "state": "closed",
            "grid_code": "339901001001001",
            "reported_at": "2026-11-10T09:00:00+08:00",
            "closed_at": "2026-11-10T11:30:00+08:00",
            "on_time": rng.random() < 0.8,
            "closing_tier": rng.choice(TIERS),
            "rework_count": 0,
            "satisfaction": rng.randint(1, 5),
            "supervision_orders": 0,
        }
        for i in range(min(n_cases, CASES_MAX))
    ]
    return Report(
        "month",
        "grid",
        "2026-11-01T00:00:00+08:00",
        "2026-12-01T00:00:00+08:00",
        TIERS,
        tuple(rows),
        {},
        tuple(found),
        n_cases,
        "2026-12-07 10:00",
    )


def best_of(repeat: int, build: object) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        size = len(build())  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times), size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--cases", type=int, default=CASES_MAX)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    rep = make_report(args.units, args.cases)
    pdf_bytes(rep, FONT)  # the font is parsed once per process: not part of a request
    xlsx_s, xlsx_size = best_of(args.repeat, lambda: workbook_bytes(rep))
    pdf_s, pdf_size = best_of(args.repeat, lambda: pdf_bytes(rep, FONT))
    out = {
        "units": args.units,
        "cases_rows": len(rep.cases),
        "xlsx_s": round(xlsx_s, 2),
        "xlsx_bytes": xlsx_size,
        "pdf_s": round(pdf_s, 2),
        "pdf_bytes": pdf_size,
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()

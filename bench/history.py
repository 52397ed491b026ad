"""Report times over a year of case history: one simulated year for the sample district
loaded straight into PostgreSQL, then each assessment report timed at each level.

    .venv/bin/python bench/history.py [--cases 1260000] [--repeat 3]

The rows are made by SQL (``generate_series``) in a fresh database (``gridwall_bench_<hex>``
on ``GRIDWALL_TEST_DATABASE_URL``, dropped after), not through the hub: this measures the
report queries on a year's volume, not the copy (``bench/records_copy.py`` does that). The mix:
cases spread evenly over 2026 on the district's basic grids and its categories; 2% rejected,
3% still open; of the closed 70% closed at the grid, 20% by the upper grid, 10% by
enforcement; about 85% on time; 6% reworked; 60% rated (mostly 4 or 5); one assignee per case
(the grid member) and the grid leader on escalated ones. Prints one JSON object last: load
seconds, rows, and per report the best of ``--repeat`` runs in ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from hub.district import load_district
from hub.records.copier import write_reference
from hub.records.database import migrate, open_engine, sqlalchemy_url
from hub.records.periods import period_bounds
from hub.records.reports import cases_behind, report
from hub.records.schema import assignments, cases

PG = os.environ.get(
    "GRIDWALL_TEST_DATABASE_URL", "postgresql://gridwall:gridwall@127.0.0.1:5432/gridwall"
)
TIERS = ("grid", "upper_grid", "enforcement")
ZONE = "Asia/Shanghai"

LOAD = """
WITH grids AS (
  SELECT array_agg(code ORDER BY code) AS g FROM places WHERE level = 'grid' AND kind = 'basic'
), r AS (
  SELECT i, random() AS rs, random() AS rt, random() AS ro, random() AS rw, random() AS rr,
         random() AS ra, random() AS rv, random() AS rg, random() AS rc,
         timestamptz '2026-01-01 00:00+08' + random() * interval '365 days' AS rep
  FROM generate_series(1, :n) AS i
), c AS (
  SELECT i, rep,
    (SELECT g[1 + floor(rg * array_length(g, 1))::int] FROM grids) AS grid,
    (ARRAY['06010', '06036', '06901', '06902', '06021'])[1 + floor(rc * 5)::int] AS cat,
    CASE WHEN rs < 0.02 THEN 'rejected' WHEN rs < 0.035 THEN 'dispatched'
         WHEN rs < 0.05 THEN 'accepted' WHEN rs < 0.65 THEN 'closed' ELSE 'evaluated' END
      AS state,
    CASE WHEN rt < 0.7 THEN 0 WHEN rt < 0.9 THEN 1 ELSE 2 END AS tier,
    ro < 0.85 AS on_time, rw < 0.06 AS reworked, rr, ra, rv
  FROM r
)
INSERT INTO cases (case_no, source, category, grid_code, community_code, street_code,
  county_code, state, is_open, tier, closing_tier, reported_at, dispatched_at, accepted_at,
  resolved_at, closed_at, dispose_due_at, on_time, rework_count, reopen_count, escalations,
  events, last_event_at, satisfaction, supervision_notices, supervision_orders)
SELECT '339901' || lpad(i::text, 14, '0'), 'video_ai', cat, grid, left(grid, 12),
  left(grid, 9), '339901', state, state IN ('dispatched', 'accepted'), tier,
  CASE WHEN state IN ('closed', 'evaluated') THEN tier END,
  rep, rep + interval '2 minutes',
  CASE WHEN state <> 'rejected' AND state <> 'dispatched'
       THEN rep + (5 + ra * 55) * interval '1 minute' END,
  CASE WHEN state IN ('closed', 'evaluated')
       THEN rep + (30 + rr * 300) * interval '1 minute' END,
  CASE WHEN state IN ('closed', 'evaluated')
       THEN rep + (40 + rr * 300) * interval '1 minute' END,
  rep + interval '4 hours',
  CASE WHEN state IN ('closed', 'evaluated') THEN on_time END,
  CASE WHEN reworked THEN 1 ELSE 0 END, 0, tier,
  CASE WHEN state = 'rejected' THEN 3 ELSE 7 END, rep + interval '6 hours',
  CASE WHEN state = 'evaluated' THEN (ARRAY[2, 3, 4, 4, 5, 5, 5])[1 + floor(rv * 7)::int] END,
  CASE WHEN NOT on_time THEN 1 ELSE 0 END,
  CASE WHEN rv < 0.02 THEN 1 ELSE 0 END
FROM c
"""
ASSIGN = """
INSERT INTO assignments (case_no, seq, role, person_id, tier, at)
SELECT case_no, 3, 'assignee', 'p-' || grid_code || '-m', 0, dispatched_at
FROM cases WHERE state <> 'rejected'
UNION ALL
SELECT case_no, 5, 'assignee', 'p-' || grid_code || '-l', 1, dispatched_at + interval '1 hour'
FROM cases WHERE state <> 'rejected' AND tier >= 1
"""


def timed(repeat: int, fn: Any) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return round(best * 1000, 1), out


def reports(conn: Connection, repeat: int) -> dict[str, Any]:
    month = period_bounds("month", dt.date(2026, 11, 15), ZONE)
    quarter = period_bounds("quarter", dt.date(2026, 11, 15), ZONE)
    community = conn.execute(
        text("SELECT code FROM places WHERE level = 'community' ORDER BY code LIMIT 1")
    ).scalar_one()
    out: dict[str, Any] = {}
    for name, period in (("month", month), ("quarter", quarter)):
        for level in ("county", "street", "community", "grid", "department", "person"):
            start, end = period
            ms, rows = timed(repeat, lambda lv=level, a=start, b=end: report(conn, lv, a, b, TIERS))
            out[f"{name}_{level}_ms"] = ms
            out[f"{name}_{level}_rows"] = len(rows)
    ms, rows = timed(repeat, lambda: report(conn, "community", *quarter, TIERS, only=community))
    out["quarter_one_community_ms"] = ms
    out["quarter_one_community_cases"] = rows[0]["cases"]
    ms, numbers = timed(repeat, lambda: cases_behind(conn, "community", community, *quarter))
    out["quarter_one_community_cases_behind_ms"] = ms
    assert len(numbers) == out["quarter_one_community_cases"]
    ms, rows = timed(repeat, lambda: report(conn, "county", *month, TIERS))
    out["month_county_cases"] = rows[0]["cases"]
    out["month_county_closure_rate"] = rows[0]["closure_rate"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_260_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    # a stop (timeout, kill) still drops the database
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    name = f"gridwall_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sqlalchemy_url(PG), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(sqlalchemy_url(PG)).set(database=name).render_as_string(hide_password=False)
    engine = open_engine(url)
    try:
        migrate(engine)
        t = time.perf_counter()
        with engine.begin() as conn:
            write_reference(conn, load_district(Path("configs/district")))
            # a bulk load: the secondary indexes are built once after it, not row by row
            indexes = [*cases.indexes, *assignments.indexes]
            for index in indexes:
                index.drop(conn)
            conn.execute(text(LOAD), {"n": args.cases})
            conn.execute(text(ASSIGN))
            for index in indexes:
                index.create(conn)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        load_s = time.perf_counter() - t
        with engine.connect() as conn:
            counts = {
                tbl: conn.execute(text(f"SELECT count(*) FROM {tbl}")).scalar_one()
                for tbl in ("cases", "assignments")
            }
            figures = reports(conn, args.repeat)
        print(
            json.dumps(
                {
                    **counts,
                    "load_s": round(load_s, 1),
                    "repeat": args.repeat,
                    **figures,
                    "load_average_1m": round(os.getloadavg()[0], 1),
                }
            )
        )
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()

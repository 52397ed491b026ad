"""The retention sweep: evidence media past their case's retention leave the object store.

A case keeps its media for its category's retention (``records.retention_days_by_category``,
else ``records.retention_days``) counted from its last event, and never loses them while it
is open (a reopened case counts again from its new last event). A swept row stays in
``media`` with ``deleted_at`` set, so the history says what was kept and when it went; the
object itself is deleted once no row still kept names the same SHA-256 (the store keeps
identical bytes once), and only after the rows are committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, select, tuple_, update

from hub.records.bundle import retention_days
from hub.records.objects import ObjectStore
from hub.records.schema import cases, media


@dataclass(frozen=True)
class Swept:
    rows: int  # media rows past retention, marked deleted
    objects: int  # objects deleted from the store
    shared: int  # objects kept since another case still keeps the same bytes


def past_retention(last_event_at: dt.datetime, is_open: bool, days: int, now: dt.datetime) -> bool:
    return not is_open and last_event_at + dt.timedelta(days=days) < now


def sweep(
    engine: Engine,
    store: ObjectStore,
    default_days: int,
    by_category: Mapping[str, int],
    now: dt.datetime,
    dry_run: bool = False,
) -> Swept:
    shortest = min([default_days, *by_category.values()])
    with engine.begin() as conn:
        rows = conn.execute(
            select(
                media.c.case_no,
                media.c.ref,
                media.c.sha256,
                cases.c.category,
                cases.c.is_open,
                cases.c.last_event_at,
            )
            .join(cases, cases.c.case_no == media.c.case_no)
            .where(
                media.c.deleted_at.is_(None),
                cases.c.is_open.is_(False),
                cases.c.last_event_at < now - dt.timedelta(days=shortest),
            )
        ).all()
        gone = [
            r
            for r in rows
            if past_retention(
                r.last_event_at,
                r.is_open,
                retention_days(r.category, default_days, by_category),
                now,
            )
        ]
        shas = {r.sha256 for r in gone}
        if gone and not dry_run:
            keys = [(r.case_no, r.ref) for r in gone]
            for i in range(0, len(keys), 1000):
                conn.execute(
                    update(media)
                    .where(tuple_(media.c.case_no, media.c.ref).in_(keys[i : i + 1000]))
                    .values(deleted_at=now)
                )
        live = [media.c.sha256.in_(shas), media.c.deleted_at.is_(None)]
        if gone:
            live.append(
                tuple_(media.c.case_no, media.c.ref).not_in([(r.case_no, r.ref) for r in gone])
            )
        still = set(conn.execute(select(media.c.sha256).where(*live)).scalars())
    deleted = 0
    if not dry_run:
        for sha in sorted(shas - still):
            deleted += store.delete(sha)
    return Swept(len(gone), deleted, len(shas & still))

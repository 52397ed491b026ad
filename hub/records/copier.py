"""Copying the hub's case events from Redis into PostgreSQL (synchronous: runs in a thread).

The hub writes every case event to the case's log (``{p}:case:{no}:events``) and, in the same
atomic step, onto the change stream (``{p}:changes``, capped at ``ingest.changes_max``). The
copier follows the change stream from the position it keeps in PostgreSQL: each batch of
entries is written, with the new position, in one transaction, so a copier killed mid-batch
leaves nothing half-written and the next one starts where the last commit left off. Events are
inserted on their event id (case number, sequence number) doing nothing on conflict, so a
replay changes nothing. When the stream was trimmed past the position (the copier was off
longer than the stream holds), the copier catches up from the case logs themselves, which is
also what ``rebuild`` does after emptying the tables. One copier writes at a time: each batch
takes a PostgreSQL advisory lock (another hub's copier skips it; a rebuild waits for it).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy import Connection, Engine, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from hub.district import District
from hub.domain.case_state import CaseEvent
from hub.records import reference, rows
from hub.records.database import COPY_LOCK
from hub.records.media import MediaKeeper
from hub.records.schema import (
    assignments,
    cases,
    departments,
    events,
    people,
    places,
    records_position,
    sources,
)
from hub.services.faults import crash_point
from hub.store.keys import Keys
from hub.store.keys import text as as_text

log = logging.getLogger(__name__)
ZERO = "0-0"
CHUNK = 500


def stream_id(x: str) -> tuple[int, int]:
    ms, _, seq = x.partition("-")
    return int(ms), int(seq or 0)


@dataclass(frozen=True)
class Batch:
    """What one ``copy_batch`` did."""

    busy: bool = False  # another copier (or a rebuild) held the lock
    entries: int = 0  # change-stream entries read
    events: int = 0  # case events among them
    caught_up_from_logs: int = 0  # events copied from the case logs (a gap in the stream)
    position: str = ZERO
    newest: str = ZERO  # the stream's newest entry id when the batch ran


class Copier:
    def __init__(
        self,
        engine: Engine,
        r: redis.Redis,
        keys: Keys,
        batch_max: int,
        media: MediaKeeper | None = None,
    ) -> None:
        self.engine, self.r, self.k, self.batch_max = engine, r, keys, batch_max
        self.media = media  # evidence media into the object store with their events

    # --- the stream ----------------------------------------------------------------------
    def stream_state(self, pos: str = ZERO) -> tuple[str, bool]:
        """(newest entry id of the change stream, whether entries after ``pos`` were trimmed
        before they were copied). Trimming removes the oldest entries, so nothing after
        ``pos`` is lost while the first entry left is not after it. When it is (``pos`` itself
        is gone), the entries between may be gone too: that counts as a gap, and the catch-up
        from the case logs that follows is idempotent."""
        try:
            info: Any = self.r.xinfo_stream(self.k.changes)
        except redis.ResponseError:  # no stream yet
            return ZERO, False
        newest = as_text(info.get("last-generated-id") or ZERO)
        deleted = as_text(info.get("max-deleted-entry-id") or ZERO)  # XDEL (Redis 7)
        if stream_id(deleted) > stream_id(pos):
            return newest, True
        added, length = info.get("entries-added"), int(info.get("length") or 0)
        if added is not None and int(added) == length:
            return newest, False  # never trimmed
        first = info.get("first-entry")
        if not first:  # emptied: a gap if anything was added after pos
            return newest, stream_id(newest) > stream_id(pos)
        return newest, stream_id(as_text(first[0])) > stream_id(pos)

    def copy_batch(self) -> Batch:
        """Copy the next batch of the change stream (or catch up from the logs after a gap)."""
        with self.engine.begin() as conn:
            if not conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": COPY_LOCK}
            ).scalar():
                return Batch(busy=True)
            pos = position(conn, self.k.changes)
            newest, gap = self.stream_state(pos)
            if gap:
                log.warning(
                    "change stream trimmed past the copied position %s: catching up from "
                    "the case logs",
                    pos,
                )
                n = sync_logs(conn, self.r, self.k, self.media)
                save_position(conn, self.k.changes, newest)
                return Batch(caught_up_from_logs=n, position=newest, newest=newest)
            raw: Any = self.r.xrange(self.k.changes, min=f"({pos}", max="+", count=self.batch_max)
            if not raw:
                return Batch(position=pos, newest=newest)
            found = list(case_events(raw))
            write_events(conn, found)
            if self.media is not None:
                self.media.keep(conn, found)
            crash_point("records_mid_batch")
            last = as_text(raw[-1][0])
            save_position(conn, self.k.changes, last)
            return Batch(entries=len(raw), events=len(found), position=last, newest=newest)


def case_events(entries: Iterable[tuple[Any, dict[Any, Any]]]) -> Iterable[tuple[str, CaseEvent]]:
    """The case events among change-stream entries (alarm changes and others are skipped)."""
    for entry_id, fields in entries:
        f = {as_text(k): as_text(v) for k, v in fields.items()}
        if f.get("kind") != "case":
            continue
        try:
            yield f["case_no"], CaseEvent.from_dict(json.loads(f["event"]))
        except (KeyError, ValueError, TypeError) as exc:
            log.error("change %s: not a case event (%s); skipped", as_text(entry_id), exc)


# --- writing -------------------------------------------------------------------------------
def position(conn: Connection, stream: str) -> str:
    got = conn.execute(
        select(records_position.c.last_id).where(records_position.c.stream == stream)
    ).scalar()
    return str(got) if got else ZERO


def save_position(conn: Connection, stream: str, last_id: str) -> None:
    stmt = insert(records_position).values(stream=stream, last_id=last_id, updated_at=func.now())
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["stream"], set_={"last_id": last_id, "updated_at": func.now()}
        )
    )


def write_events(conn: Connection, found: Sequence[tuple[str, CaseEvent]]) -> None:
    """Insert events (a known event id is left as it is) and rewrite the derived rows of
    every case they touch."""
    if not found:
        return
    conn.execute(
        insert(events).on_conflict_do_nothing(index_elements=["case_no", "seq"]),
        [rows.event_row(no, ev) for no, ev in found],
    )
    refresh_cases(conn, sorted({no for no, _ in found}))


def refresh_cases(conn: Connection, numbers: Sequence[str]) -> None:
    """Rewrite ``cases``, ``assignments`` and ``sources`` of these cases from their events."""
    logs: dict[str, list[CaseEvent]] = defaultdict(list)
    for row in conn.execute(
        select(events).where(events.c.case_no.in_(numbers)).order_by(events.c.case_no, events.c.seq)
    ).mappings():
        logs[row["case_no"]].append(rows.event_of(dict(row)))
    for table in (cases, assignments, sources):
        conn.execute(delete(table).where(table.c.case_no.in_(numbers)))
    case_rows, assigned, named = [], [], []
    for no in numbers:
        case_log = logs.get(no, [])
        if [ev.seq for ev in case_log] != list(range(1, len(case_log) + 1)):
            # events missing before these (a gap the catch-up from the logs fills): no row yet
            log.warning("case %s: log in PostgreSQL is not whole; its rows wait", no)
            continue
        case_rows.append(rows.case_row(no, case_log))
        for ev in case_log:
            assigned += rows.assignment_rows(no, ev)
        named += rows.source_rows(no, case_log)
    for table, values in ((cases, case_rows), (assignments, assigned), (sources, named)):
        if values:
            conn.execute(insert(table), values)


def sync_logs(conn: Connection, r: redis.Redis, k: Keys, media: MediaKeeper | None = None) -> int:
    """Copy what PostgreSQL lacks of every case log the hub holds (and, with ``media``, the
    evidence those events name); returns the events copied. Each case's newest sequence
    number is compared, so a whole log is read only when new."""
    copied, start = 0, 0
    while True:
        raw: Any = r.zrange(k.cases, start, start + CHUNK - 1)
        numbers = [as_text(x) for x in raw]
        if not numbers:
            return copied
        start += CHUNK
        have = dict(
            conn.execute(
                select(events.c.case_no, func.max(events.c.seq))
                .where(events.c.case_no.in_(numbers))
                .group_by(events.c.case_no)
            ).all()
        )
        with r.pipeline(transaction=False) as pipe:
            for no in numbers:
                pipe.lrange(k.case_events(no), int(have.get(no) or 0), -1)
            tails: list[Any] = pipe.execute()
        found = [
            (no, CaseEvent.from_dict(json.loads(x)))
            for no, tail in zip(numbers, tails, strict=True)
            for x in tail
        ]
        write_events(conn, found)
        if media is not None:
            media.keep(conn, found)
        copied += len(found)


def write_reference(conn: Connection, d: District) -> None:
    """Replace places, departments and people with the district's."""
    for table, values in (
        (places, reference.place_rows(d)),
        (departments, reference.department_rows(d)),
        (people, reference.people_rows(d)),
    ):
        conn.execute(delete(table))
        if values:
            conn.execute(insert(table), values)


def rebuild(
    engine: Engine, r: redis.Redis, k: Keys, d: District, media: MediaKeeper | None = None
) -> tuple[int, int]:
    """Empty the case history and copy it again from the case logs, in one transaction
    (readers see the old rows until it commits); returns (cases, events). ``media`` is not
    emptied (Redis may no longer hold what it keeps); what it lacks is added."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": COPY_LOCK})
        newest, _ = Copier(engine, r, k, 1).stream_state()
        conn.execute(text("TRUNCATE events, cases, assignments, sources, records_position"))
        write_reference(conn, d)
        n = sync_logs(conn, r, k, media)
        save_position(conn, k.changes, newest)
        total = conn.execute(select(func.count()).select_from(cases)).scalar_one()
    return int(total), n

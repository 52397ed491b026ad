"""Evidence media out of Redis into the object store, as the copier copies the events that
name them, and back out for a bundle.

In Redis a detection snapshot expires after days (``{root}:snap:{id}``) and a photo or clip
lives in ``{root}:media:{id}`` (bytes and type). When the copier writes a case's events to
PostgreSQL, every snapshot and media id those events name (and the snapshots of the alarms
they attach: ``hub.records.bundle.evidence_ids``) is read from Redis, stored by its SHA-256
(``hub.records.objects``) and recorded in ``media`` in the same transaction as the events.
A reference already recorded is not read again; one Redis no longer holds is logged and left
out (it expired before it was copied). A clip the box recorded is not in Redis: a close
queues it (``hub.clipfetch``), fetched from the box into the same store and table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import redis
from sqlalchemy import Connection, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from hub.clipfetch.jobs import ClipEnqueuer
from hub.domain.case_state import CaseEvent
from hub.records.bundle import evidence_ids
from hub.records.objects import ObjectStore
from hub.records.schema import media
from hub.store.keys import Keys, text_map

log = logging.getLogger(__name__)
ALARM_SNAPSHOTS = ("snapshot_id", "boxes_snapshot_id")


def media_key(keys: Keys, media_id: str) -> str:
    return f"{keys.prefix}:media:{media_id}"


def kind_of(ref: str, content_type: str) -> str:
    if ref.startswith("snapshot:"):
        return "snapshot"
    if content_type.startswith("image/"):
        return "photo"
    return "clip" if content_type.startswith("video/") else "file"


class MediaKeeper:
    def __init__(
        self, r: redis.Redis, keys: Keys, store: ObjectStore, clips: ClipEnqueuer | None = None
    ) -> None:
        self.r, self.k, self.store = r, keys, store
        self.clips = clips  # a closed camera case's clip is fetched from its box (hub/clipfetch)
        self.missing = 0  # references Redis no longer held when their event was copied

    def refs(self, ev: CaseEvent) -> list[str]:
        """What one event names: its snapshots and media, and its alarm's snapshots."""
        docs: list[Any] = [ev.to_dict()]
        key = ev.data.get("alarm_key")
        if isinstance(key, str) and key:
            alarm = text_map(self.r.hgetall(self.k.alarm(key)))
            docs.append({k: alarm.get(k, "") for k in ALARM_SNAPSHOTS})
        return refs_of(docs)

    def read(self, ref: str) -> tuple[bytes, str] | None:
        """(bytes, content type) from Redis, None when it is gone."""
        kind, _, ident = ref.partition(":")
        if kind == "snapshot":
            data: Any = self.r.get(self.k.snapshot(ident))
            return (bytes(data), "image/jpeg") if data is not None else None
        m: Any = self.r.hgetall(media_key(self.k, ident))
        if not m or b"data" not in m:
            return None
        return bytes(m[b"data"]), (m.get(b"type") or b"application/octet-stream").decode()

    def keep(self, conn: Connection, found: Sequence[tuple[str, CaseEvent]]) -> int:
        """Store what ``found`` names and is not kept yet; returns the objects recorded.
        A close among them queues the case's clip to be fetched from its box."""
        if self.clips is not None:
            self.clips.enqueue_closes(found)
        wanted = list(dict.fromkeys((no, ref) for no, ev in found for ref in self.refs(ev)))
        if not wanted:
            return 0
        have = set(
            conn.execute(
                select(media.c.case_no, media.c.ref).where(
                    tuple_(media.c.case_no, media.c.ref).in_(wanted)
                )
            ).all()
        )
        rows = []
        for no, ref in wanted:
            if (no, ref) in have:
                continue
            got = self.read(ref)
            if got is None:
                self.missing += 1
                log.warning("case %s: %s is no longer in Redis; not kept", no, ref)
                continue
            data, content_type = got
            rows.append(
                {
                    "case_no": no,
                    "ref": ref,
                    "kind": kind_of(ref, content_type),
                    "content_type": content_type,
                    "sha256": self.store.put(data),
                    "bytes": len(data),
                    "stored_at": func.now(),
                }
            )
        if rows:
            stmt = insert(media).on_conflict_do_nothing(index_elements=["case_no", "ref"])
            for row in rows:
                conn.execute(stmt.values(**row))
        return len(rows)


def kept(conn: Connection, store: ObjectStore, case_no: str) -> dict[str, tuple[bytes, str]]:
    """The media a case keeps in the store (reference → bytes, content type), swept ones
    left out; ``ObjectError`` if a stored object no longer matches its SHA-256."""
    out: dict[str, tuple[bytes, str]] = {}
    for ref, sha, content_type in conn.execute(
        select(media.c.ref, media.c.sha256, media.c.content_type).where(
            media.c.case_no == case_no, media.c.deleted_at.is_(None)
        )
    ).all():
        data = store.get(sha)
        if data is not None:
            out[ref] = (data, content_type)
    return out


def refs_of(docs: Iterable[Any]) -> list[str]:
    """``snapshot:{id}`` and ``media:{id}`` for everything ``docs`` name."""
    snaps, ids = evidence_ids(docs)
    return [f"snapshot:{s}" for s in snaps] + [f"media:{m}" for m in ids]

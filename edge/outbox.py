"""The on-disk outbox: every message for the broker is written here first (SQLite, WAL).

Rows are published in insertion order and deleted only when the broker acknowledges them,
so alerts survive a broker outage and an agent restart. The per-box event ``seq`` lives in
the same file and is taken in the same transaction as the row that carries it.

``synchronous=FULL`` (the default): every commit is on the disk before ``enqueue`` returns, so
a power loss loses no row the agent has written (``NORMAL`` syncs the WAL only at checkpoints:
a power loss could take every row since the last one). Its cost, measured by
``bench/edge_outbox.py``: docs/edge.md, "Delivery".
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Synchronous = Literal["NORMAL", "FULL"]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    row_id: int
    topic: str
    payload: bytes
    qos: int
    retain: bool


class Outbox:
    def __init__(self, path: Path, synchronous: Synchronous = "FULL") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, got {synchronous!r}")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL,"
            " retain INTEGER NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS open_alerts (event_id TEXT PRIMARY KEY, body BLOB NOT NULL)"
        )

    def enqueue(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> int:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO outbox (topic, payload, qos, retain) VALUES (?, ?, ?, ?)",
                (topic, payload, qos, int(retain)),
            )
            return int(cur.lastrowid or 0)

    def enqueue_numbered(
        self, build: Callable[[int], list[tuple[str, bytes]]], qos: int = 1
    ) -> int:
        """Take the next ``seq``, build messages with it and store them, all in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT value FROM counters WHERE name='seq'").fetchone()
                seq = int(row[0]) if row else 0
                for topic, payload in build(seq):
                    self._db.execute(
                        "INSERT INTO outbox (topic, payload, qos, retain) VALUES (?, ?, ?, 0)",
                        (topic, payload, qos),
                    )
                self._db.execute(
                    "INSERT INTO counters (name, value) VALUES ('seq', ?)"
                    " ON CONFLICT(name) DO UPDATE SET value=excluded.value",
                    (seq + 1,),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return seq

    def after(self, row_id: int, limit: int) -> list[OutboxRow]:
        """Rows with an id above ``row_id``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload, qos, retain FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                (row_id, limit),
            ).fetchall()
        return [OutboxRow(int(r[0]), str(r[1]), bytes(r[2]), int(r[3]), bool(r[4])) for r in rows]

    def ack(self, row_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))

    def depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def remember_open(self, event_id: str, body: bytes | None) -> None:
        """Keep (or forget, with None) the last message of an alert still open."""
        with self._lock:
            if body is None:
                self._db.execute("DELETE FROM open_alerts WHERE event_id = ?", (event_id,))
            else:
                self._db.execute(
                    "INSERT INTO open_alerts (event_id, body) VALUES (?, ?)"
                    " ON CONFLICT(event_id) DO UPDATE SET body=excluded.body",
                    (event_id, body),
                )

    def open_alerts(self) -> list[bytes]:
        with self._lock:
            return [bytes(r[0]) for r in self._db.execute("SELECT body FROM open_alerts")]

    def close(self) -> None:
        with self._lock:
            self._db.close()

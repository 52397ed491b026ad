"""The box's index of recorded segments and alarm marks, in SQLite beside the segments.

One connection shared by the recorder threads, the retention loop and the HTTP handlers,
behind a lock (every statement is small). Segment paths are stored relative to the
recording folder. A segment left ``open`` by a crash is closed at start with what the
fragmented file holds (``RecordingIndex.close_orphans``).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from edge.recording.retention import AlarmMark, SegmentInfo

_SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
  segment_id INTEGER PRIMARY KEY AUTOINCREMENT,
  camera_id TEXT NOT NULL,
  path TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL DEFAULT 0,
  open INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS segments_by_camera ON segments (camera_id, start_ms);
CREATE TABLE IF NOT EXISTS alarms (
  event_id TEXT PRIMARY KEY,
  camera_id TEXT NOT NULL,
  zone_id TEXT NOT NULL,
  category TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  closed_ms INTEGER
);
CREATE INDEX IF NOT EXISTS alarms_by_camera ON alarms (camera_id, started_ms);
"""


@dataclass(frozen=True, slots=True)
class Segment:
    info: SegmentInfo
    path: str  # relative to the recording folder


@dataclass(frozen=True, slots=True)
class Alarm:
    event_id: str
    zone_id: str
    category: str
    mark: AlarmMark


class RecordingIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # segments
    def open_segment(self, camera_id: str, path: str, start_ms: int) -> int:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO segments (camera_id, path, start_ms, end_ms) VALUES (?, ?, ?, ?)",
                (camera_id, path, start_ms, start_ms),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def update_segment(
        self, segment_id: int, end_ms: int, size_bytes: int, *, closed: bool = False
    ) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE segments SET end_ms = ?, size_bytes = ?, open = ? WHERE segment_id = ?",
                (end_ms, size_bytes, 0 if closed else 1, segment_id),
            )

    def remove_segment(self, segment_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM segments WHERE segment_id = ?", (segment_id,))

    def remove_segments(self, segment_ids: list[int]) -> None:
        with self._lock:
            self._db.executemany(
                "DELETE FROM segments WHERE segment_id = ?", ((i,) for i in segment_ids)
            )

    def segment(self, segment_id: int) -> Segment | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_SEG_COLS} FROM segments WHERE segment_id = ?", (segment_id,)
            ).fetchone()
        return _segment(row) if row else None

    def segments(
        self, camera_id: str | None = None, start_ms: int = 0, end_ms: int = 2**62
    ) -> list[Segment]:
        """Segments overlapping ``[start_ms, end_ms]`` (of one camera, or all), oldest first."""
        query = f"SELECT {_SEG_COLS} FROM segments WHERE end_ms >= ? AND start_ms <= ?"
        args: list[object] = [start_ms, end_ms]
        if camera_id is not None:
            query += " AND camera_id = ?"
            args.append(camera_id)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY start_ms, segment_id", args).fetchall()
        return [_segment(r) for r in rows]

    def totals(self) -> tuple[int, int | None]:
        """(bytes of every segment, the earliest end), without listing them."""
        with self._lock:
            total, oldest = self._db.execute(
                "SELECT COALESCE(SUM(size_bytes), 0), MIN(end_ms) FROM segments"
            ).fetchone()
        return int(total), oldest

    def segment_infos(self) -> list[SegmentInfo]:
        """Every segment as retention sees it (no paths: the lean listing of a full pass)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT segment_id, camera_id, start_ms, end_ms, size_bytes, open FROM segments"
            ).fetchall()
        return [SegmentInfo(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def paths_of(self, segment_ids: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        with self._lock:
            for k in range(0, len(segment_ids), 500):
                chunk = segment_ids[k : k + 500]
                marks = ",".join("?" * len(chunk))
                out.update(
                    self._db.execute(
                        f"SELECT segment_id, path FROM segments WHERE segment_id IN ({marks})",
                        chunk,
                    ).fetchall()
                )
        return out

    def open_segments(self) -> list[Segment]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_SEG_COLS} FROM segments WHERE open = 1 ORDER BY segment_id"
            ).fetchall()
        return [_segment(r) for r in rows]

    # alarms
    def alarm_began(
        self, event_id: str, camera_id: str, zone_id: str, category: str, started_ms: int
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO alarms (event_id, camera_id, zone_id, category, started_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                (event_id, camera_id, zone_id, category, started_ms),
            )

    def alarm_ended(self, event_id: str, ended_ms: int) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE alarms SET ended_ms = ? WHERE event_id = ? AND ended_ms IS NULL",
                (ended_ms, event_id),
            )

    def close_alarms(
        self, camera_id: str, zone_id: str, category: str, from_ms: int, closed_ms: int
    ) -> int:
        """The case of this camera × zone × category was closed at ``closed_ms``: its alarms
        that began between ``from_ms`` and then, not closed yet, take that time (their keep
        period starts). Returns how many."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE alarms SET closed_ms = ? WHERE camera_id = ? AND zone_id = ? "
                "AND category = ? AND started_ms BETWEEN ? AND ? AND closed_ms IS NULL",
                (closed_ms, camera_id, zone_id, category, from_ms, closed_ms),
            )
            return cur.rowcount

    def alarms(
        self, camera_id: str | None = None, start_ms: int = 0, end_ms: int = 2**62
    ) -> list[Alarm]:
        query = (
            "SELECT event_id, camera_id, zone_id, category, started_ms, ended_ms, closed_ms "
            "FROM alarms WHERE started_ms <= ? AND COALESCE(ended_ms, ?) >= ?"
        )
        args: list[object] = [end_ms, 2**62, start_ms]
        if camera_id is not None:
            query += " AND camera_id = ?"
            args.append(camera_id)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY started_ms", args).fetchall()
        return [Alarm(r[0], r[2], r[3], AlarmMark(r[1], r[4], r[5], r[6])) for r in rows]

    def forget_alarms_before(self, ms: int) -> None:
        """Drop alarms that began before ``ms`` (they protect nothing any more)."""
        with self._lock:
            self._db.execute("DELETE FROM alarms WHERE started_ms < ?", (ms,))


_SEG_COLS = "segment_id, camera_id, path, start_ms, end_ms, size_bytes, open"


def _segment(row: tuple[int, str, str, int, int, int, int]) -> Segment:
    sid, camera_id, path, start_ms, end_ms, size, is_open = row
    return Segment(SegmentInfo(sid, camera_id, start_ms, end_ms, size, bool(is_open)), path)

"""The alarm frames verification compares against, kept on the box's disk (SQLite).

At every ``new`` and ``update`` step of an alert (every ``update_interval_s`` while it
holds, and on a significant change such as one more cylinder), the clean frame (no boxes
drawn, at most ``max_width`` pixels wide, JPEG) and the alert's boxes replace the one kept
for that (camera, zone, category): the hub's verification of a case on that key then
compares the zone with the latest frame that showed the problem, not its first look at a
pile that has grown since. One row per key, so the file stays small; it lives beside the
outbox and survives a restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import cv2
import numpy as np

from edge.zone_verify import AlarmFrame


class ReferenceFrames:
    def __init__(self, path: Path, *, max_width: int = 640, quality: int = 90) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_width = max_width
        self.quality = quality
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS alarm_frames (camera_id TEXT NOT NULL,"
            " zone_id TEXT NOT NULL, category TEXT NOT NULL, snapshot_id TEXT NOT NULL,"
            " taken_ms INTEGER NOT NULL, boxes TEXT NOT NULL, jpeg BLOB NOT NULL,"
            " PRIMARY KEY (camera_id, zone_id, category))"
        )

    def keep(self, frame: AlarmFrame) -> None:
        """Store ``frame`` as the latest alarm frame of its (camera, zone, category)."""
        image = frame.image
        h, w = image.shape[:2]
        if w > self.max_width:
            size = (self.max_width, max(1, round(h * self.max_width / w)))
            image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise ValueError(f"cannot encode the alarm frame of {frame.snapshot_id!r}")
        boxes = json.dumps([list(b) for b in frame.boxes_norm])
        with self._lock:
            self._db.execute(
                "INSERT INTO alarm_frames VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(camera_id, zone_id, category) DO UPDATE SET"
                " snapshot_id=excluded.snapshot_id, taken_ms=excluded.taken_ms,"
                " boxes=excluded.boxes, jpeg=excluded.jpeg",
                (
                    frame.camera_id,
                    frame.zone_id,
                    frame.category,
                    frame.snapshot_id,
                    frame.taken_ms,
                    boxes,
                    buf.tobytes(),
                ),
            )

    def latest(self, camera_id: str, zone_id: str, category: str) -> AlarmFrame | None:
        """The latest alarm frame of (camera, zone, category), or None if none is kept."""
        with self._lock:
            row = self._db.execute(
                "SELECT snapshot_id, taken_ms, boxes, jpeg FROM alarm_frames"
                " WHERE camera_id = ? AND zone_id = ? AND category = ?",
                (camera_id, zone_id, category),
            ).fetchone()
        if row is None:
            return None
        image = cv2.imdecode(np.frombuffer(bytes(row[3]), np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            return None
        boxes = tuple(
            (float(b[0]), float(b[1]), float(b[2]), float(b[3])) for b in json.loads(row[2])
        )
        return AlarmFrame(
            camera_id, zone_id, category, str(row[0]), int(row[1]), np.asarray(image), boxes
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

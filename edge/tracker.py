"""A small IoU/centroid tracker that also measures how long each object has stood still.

Pure: no I/O, time comes in with each update. Tracks outlive missed frames for
``max_age_s``, so objects seen only by the periodic full scan keep their identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edge.detections import Detections

Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def centre(b: Box) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


@dataclass
class Track:
    tracker_id: int
    class_id: int
    xyxy: Box
    confidence: float
    first_ms: int
    last_ms: int
    hits: int = 1
    anchor_xyxy: Box = (0.0, 0.0, 0.0, 0.0)
    anchor_ms: int = 0
    best_confidence: float = 0.0
    history: list[Box] = field(default_factory=list)

    def still_s(self) -> float:
        """How long the object has stayed within tolerance of where it settled."""
        return (self.last_ms - self.anchor_ms) / 1000.0

    def age_s(self) -> float:
        return (self.last_ms - self.first_ms) / 1000.0


class Tracker:
    def __init__(
        self,
        max_age_s: float = 6.0,
        iou_min: float = 0.1,
        still_tolerance: float = 0.25,
    ) -> None:
        self.max_age_s = max_age_s
        self.iou_min = iou_min
        self.still_tolerance = still_tolerance
        self.tracks: dict[int, Track] = {}
        self._next_id = 1

    def update(self, dets: Detections, t_ms: int) -> Detections:
        """Match detections to tracks (greedy, class-aware); return them with tracker ids."""
        ids = np.full(len(dets), -1, dtype=np.int64)
        pairs: list[tuple[float, int, int]] = []
        boxes: list[Box] = [(float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in dets.xyxy]
        for i, box in enumerate(boxes):
            b: Box = (box[0], box[1], box[2], box[3])
            for tid, tr in self.tracks.items():
                if tr.class_id != int(dets.class_id[i]):
                    continue
                score = iou(b, tr.xyxy)
                if score < self.iou_min:
                    cx, cy = centre(b)
                    tx, ty = centre(tr.xyxy)
                    diag = max(tr.xyxy[2] - tr.xyxy[0], tr.xyxy[3] - tr.xyxy[1], 1.0)
                    dist = ((cx - tx) ** 2 + (cy - ty) ** 2) ** 0.5 / diag
                    if dist > 0.6:
                        continue
                    score = 0.05 * (1 - dist)
                pairs.append((score, i, tid))
        pairs.sort(reverse=True)
        used_d: set[int] = set()
        used_t: set[int] = set()
        for _, i, tid in pairs:
            if i in used_d or tid in used_t:
                continue
            used_d.add(i)
            used_t.add(tid)
            ids[i] = tid
            self._hit(self.tracks[tid], boxes[i], float(dets.confidence[i]), t_ms)
        for i, box in enumerate(boxes):
            if i in used_d:
                continue
            b = (box[0], box[1], box[2], box[3])
            tid = self._next_id
            self._next_id += 1
            conf = float(dets.confidence[i])
            self.tracks[tid] = Track(
                tid, int(dets.class_id[i]), b, conf, t_ms, t_ms, 1, b, t_ms, conf
            )
            ids[i] = tid
        self.expire(t_ms)
        return dets.with_tracker_ids(ids)

    def expire(self, t_ms: int) -> None:
        gone = [k for k, tr in self.tracks.items() if t_ms - tr.last_ms > self.max_age_s * 1000]
        for k in gone:
            del self.tracks[k]

    def _hit(self, tr: Track, box: Box, conf: float, t_ms: int) -> None:
        tr.hits += 1
        tr.xyxy = box
        tr.confidence = conf
        tr.best_confidence = max(tr.best_confidence, conf)
        tr.last_ms = t_ms
        ax, ay = centre(tr.anchor_xyxy)
        cx, cy = centre(box)
        size = max(box[2] - box[0], box[3] - box[1], 1.0)
        if ((cx - ax) ** 2 + (cy - ay) ** 2) ** 0.5 > self.still_tolerance * size:
            tr.anchor_xyxy = box
            tr.anchor_ms = t_ms

    def live(self, t_ms: int, recent_s: float, min_hits: int = 2) -> list[Track]:
        """Confirmed tracks seen within ``recent_s`` of ``t_ms`` (identity lasts longer)."""
        floor = t_ms - int(recent_s * 1000)
        return [tr for tr in self.tracks.values() if tr.hits >= min_hits and tr.last_ms >= floor]

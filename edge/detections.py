"""The one detection type past the detector: pixel boxes, confidences, class ids, track ids.

Built by detector adapters (``from_yolo_head``, ``from_ultralytics``, the truth detector) and
by the tracker; nothing after the detector touches onnxruntime or ultralytics objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Detections:
    """``xyxy`` in pixels of ``resolution_wh``; ``tracker_id`` is -1 until a tracker assigns one."""

    xyxy: F32
    confidence: F32
    class_id: I64
    resolution_wh: tuple[int, int]
    tracker_id: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        n = len(self.confidence)
        if self.xyxy.shape != (n, 4):
            raise ValueError(f"expected ({n}, 4) xyxy, got {self.xyxy.shape}")
        if self.class_id.shape != (n,):
            raise ValueError(f"expected ({n},) class_id, got {self.class_id.shape}")
        if self.tracker_id.shape == (0,) and n:
            object.__setattr__(self, "tracker_id", np.full(n, -1, dtype=np.int64))
        if self.tracker_id.shape != (n,):
            raise ValueError(f"expected ({n},) tracker_id, got {self.tracker_id.shape}")

    def __len__(self) -> int:
        return len(self.confidence)

    @classmethod
    def empty(cls, resolution_wh: tuple[int, int]) -> Detections:
        return cls(
            np.zeros((0, 4), np.float32),
            np.zeros(0, np.float32),
            np.zeros(0, np.int64),
            resolution_wh,
        )

    @classmethod
    def from_lists(
        cls,
        xyxy: list[tuple[float, float, float, float]],
        confidence: list[float],
        class_id: list[int],
        resolution_wh: tuple[int, int],
    ) -> Detections:
        if not xyxy:
            return cls.empty(resolution_wh)
        return cls(
            np.asarray(xyxy, np.float32).reshape(-1, 4),
            np.asarray(confidence, np.float32),
            np.asarray(class_id, np.int64),
            resolution_wh,
        )

    def select(self, mask: npt.NDArray[np.bool_]) -> Detections:
        return Detections(
            self.xyxy[mask],
            self.confidence[mask],
            self.class_id[mask],
            self.resolution_wh,
            self.tracker_id[mask],
        )

    def with_tracker_ids(self, ids: I64) -> Detections:
        return Detections(self.xyxy, self.confidence, self.class_id, self.resolution_wh, ids)

    def scaled_to(self, resolution_wh: tuple[int, int]) -> Detections:
        sx = resolution_wh[0] / self.resolution_wh[0]
        sy = resolution_wh[1] / self.resolution_wh[1]
        scale = np.asarray([sx, sy, sx, sy], np.float32)
        return Detections(
            self.xyxy * scale, self.confidence, self.class_id, resolution_wh, self.tracker_id
        )

    def xyxy_norm(self) -> F32:
        w, h = self.resolution_wh
        out = self.xyxy / np.asarray([w, h, w, h], np.float32)
        return np.clip(out, 0.0, 1.0).astype(np.float32)

    def area_norm(self) -> F32:
        n = self.xyxy_norm()
        return ((n[:, 2] - n[:, 0]) * (n[:, 3] - n[:, 1])).astype(np.float32)

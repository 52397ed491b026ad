"""Zones and masks in detect-image pixels: which tracks count for which zone. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from contracts.cameras import Camera, Zone, ZoneRules
from contracts.categories import Category
from edge.tracker import Box, Track


def alert_floor(rules: ZoneRules, class_name: str, model_defaults: Mapping[str, float]) -> float:
    """The confidence a detection of ``class_name`` needs to count for the zone's rules.

    The zone's own ``class_confidence`` first, then a ``min_confidence`` the zone sets
    explicitly, then the model's per-class threshold (chosen on validation, shipped beside the
    model), then the zone's default ``min_confidence``.
    """
    if class_name in rules.class_confidence:
        return rules.class_confidence[class_name]
    if "min_confidence" not in rules.model_fields_set and class_name in model_defaults:
        return model_defaults[class_name]
    return rules.min_confidence


def reference_point(box: Box, class_name: str) -> tuple[float, float]:
    """Where an object touches the scene: the foot of a standing object, the middle of dust."""
    if class_name == "dust":
        return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return (box[0] + box[2]) / 2, box[3] - 0.05 * (box[3] - box[1])


def _poly(points_norm: list[tuple[float, float]], wh: tuple[int, int]) -> npt.NDArray[np.float32]:
    return np.asarray([(x * wh[0], y * wh[1]) for x, y in points_norm], np.float32).reshape(
        -1, 1, 2
    )


def inside(poly: npt.NDArray[np.float32], point: tuple[float, float]) -> bool:
    return bool(cv2.pointPolygonTest(poly, (float(point[0]), float(point[1])), False) >= 0)


@dataclass(frozen=True)
class ZoneRule:
    """One (zone, category) pair that a rule watches."""

    zone: Zone
    category: Category
    class_ids: frozenset[int]


@dataclass
class ZoneGeometry:
    zone: Zone
    polygon: npt.NDArray[np.float32]
    rect: tuple[int, int, int, int]  # bounding box x, y, w, h in detect pixels
    rules: list[ZoneRule]


class CameraZones:
    """A camera's zones and masks laid over the detect image."""

    def __init__(
        self,
        camera: Camera,
        categories: dict[str, Category],
        class_names: tuple[str, ...],
        resolution_wh: tuple[int, int],
        alert_defaults: Mapping[str, float] | None = None,
    ) -> None:
        self.class_names = class_names
        self.alert_defaults: Mapping[str, float] = alert_defaults or {}
        self.resolution_wh = resolution_wh
        self.masks = [_poly(m, resolution_wh) for m in camera.masks_norm]
        self.zones: list[ZoneGeometry] = []
        w, h = resolution_wh
        for zone in camera.zones:
            poly = _poly(zone.polygon_norm, resolution_wh)
            bx, by, bw, bh = cv2.boundingRect(poly.astype(np.int32))
            rect = (max(bx, 0), max(by, 0), min(bw, w - max(bx, 0)), min(bh, h - max(by, 0)))
            rules = []
            for code in zone.categories:
                cat = categories[code]
                if cat.edge_rule is None:
                    continue
                ids = frozenset(
                    class_names.index(c) for c in cat.detector_classes if c in class_names
                )
                if ids:
                    rules.append(ZoneRule(zone, cat, ids))
            self.zones.append(ZoneGeometry(zone, poly, rect, rules))

    def masked(self, box: Box, class_id: int) -> bool:
        point = reference_point(box, self.class_names[class_id])
        return any(inside(m, point) for m in self.masks)

    def tracks_in(self, geo: ZoneGeometry, rule: ZoneRule, tracks: list[Track]) -> list[Track]:
        """Tracks of the rule's classes whose reference point lies in the zone, past the
        zone's confidence and area thresholds and outside every mask."""
        w, h = self.resolution_wh
        rules = geo.zone.rules
        out = []
        for tr in tracks:
            if tr.class_id not in rule.class_ids:
                continue
            name = self.class_names[tr.class_id]
            if tr.best_confidence < alert_floor(rules, name, self.alert_defaults):
                continue
            x0, y0, x1, y1 = tr.xyxy
            if (x1 - x0) * (y1 - y0) / (w * h) < rules.min_area_norm:
                continue
            if self.masked(tr.xyxy, tr.class_id):
                continue
            if inside(geo.polygon, reference_point(tr.xyxy, name)):
                out.append(tr)
        return out

"""Camera pins on the wall's map at county size: the cameras in view, clustered. Pure.

A map of 12,000 pins is 12,000 SVG nodes: the browser then spends its frames on them.
The map asks for what is in its view (a bounding box); up to ``max_pins`` cameras come as
pins, more come as clusters, one per cell of a ``cells × cells`` grid over the view, at
the mean of its cameras, with their count and how many are offline or not started. A
click on a cluster zooms the map to the cluster's box, where its cameras become pins.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field


class MapError(ValueError):
    """A view the map cannot draw; the message names the bad value."""


@dataclass(frozen=True, slots=True)
class BBox:
    lon0: float
    lat0: float
    lon1: float
    lat1: float

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) for v in (self.lon0, self.lat0, self.lon1, self.lat1)):
            raise MapError(f"bbox {self} has a value that is not a number")
        if not (-180 <= self.lon0 < self.lon1 <= 180 and -90 <= self.lat0 < self.lat1 <= 90):
            raise MapError(
                f"bbox {self.lon0},{self.lat0},{self.lon1},{self.lat1} must be "
                "west,south,east,north with west < east and south < north"
            )

    @staticmethod
    def parse(text: str) -> BBox:
        parts = text.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4:
            raise MapError(f"bbox {text!r} must be four numbers: west,south,east,north")
        return BBox(*values)

    def holds(self, lon: float, lat: float) -> bool:
        return self.lon0 <= lon <= self.lon1 and self.lat0 <= lat <= self.lat1


@dataclass(frozen=True, slots=True)
class MapPoint:
    camera_id: str
    lon: float
    lat: float
    status: str


@dataclass(slots=True)
class Cluster:
    lon: float
    lat: float
    count: int
    offline: int
    not_started: int
    bbox: tuple[float, float, float, float]


@dataclass(slots=True)
class MapView:
    total: int  # cameras in the view
    pins: list[MapPoint] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)


def map_view(points: Iterable[MapPoint], view: BBox, max_pins: int, cells: int = 16) -> MapView:
    """Pins when at most ``max_pins`` cameras are in ``view``, else clusters (a cell holding
    one camera still shows it as a pin)."""
    if max_pins < 1 or cells < 1:
        raise MapError(f"max_pins {max_pins} and cells {cells} must be at least 1")
    inside = [p for p in points if view.holds(p.lon, p.lat)]
    if len(inside) <= max_pins:
        return MapView(len(inside), pins=sorted(inside, key=lambda p: p.camera_id))
    w = (view.lon1 - view.lon0) / cells
    h = (view.lat1 - view.lat0) / cells
    buckets: dict[tuple[int, int], list[MapPoint]] = {}
    for p in inside:
        i = min(cells - 1, int((p.lon - view.lon0) / w))
        j = min(cells - 1, int((p.lat - view.lat0) / h))
        buckets.setdefault((i, j), []).append(p)
    out = MapView(len(inside))
    for key in sorted(buckets):
        group = buckets[key]
        if len(group) == 1:
            out.pins.append(group[0])
            continue
        lons = [p.lon for p in group]
        lats = [p.lat for p in group]
        out.clusters.append(
            Cluster(
                lon=sum(lons) / len(group),
                lat=sum(lats) / len(group),
                count=len(group),
                offline=sum(1 for p in group if p.status == "offline"),
                not_started=sum(1 for p in group if p.status == "not_started"),
                bbox=(min(lons), min(lats), max(lons), max(lats)),
            )
        )
    return out

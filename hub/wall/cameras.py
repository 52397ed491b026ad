"""The district's cameras as the wall serves them: one page of a search, the map's pins
and clusters, the few a wall's tiles show. Never the whole list to a page.

What never changes (name, box, the grid a camera looks at, its mount point) is worked out
once at start (``CameraCatalogue``); the status (online, offline, not started) is read per
request from the fleet's alarms and the boxes the hub has heard from
(``WallService.camera_status``). Rules: ``hub.domain.camera_catalogue``,
``hub.domain.camera_map``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hub.district.load import District
from hub.domain.area import Area
from hub.domain.camera_catalogue import CameraEntry, CameraQuery, matching, page
from hub.domain.camera_map import BBox, MapPoint, map_view
from hub.wall.area import WallAreas


class CameraCatalogue:
    def __init__(self, district: District, areas: WallAreas) -> None:
        self.areas = areas
        names = {code: g.name_zh for code, g in district.grids.items()}
        self.entries: dict[str, CameraEntry] = {}
        for cam in district.cameras.values():
            z = cam.zones[0].target
            grid = district.grid_index.locate(z.lon, z.lat)
            self.entries[cam.camera_id] = CameraEntry.of(
                cam.camera_id,
                cam.name,
                cam.box_id,
                grid,
                cam.mount.lon,
                cam.mount.lat,
                names.get(grid or "", ""),
            )

    def allowed(self, *areas: Area | None) -> Callable[[str], bool] | None:
        """The cameras every given area shows (None: no area limits them)."""
        given = [a for a in areas if a is not None]
        if not given:
            return None
        return lambda cam: all(self.areas.shows_camera(a, cam) for a in given)

    def rows(self, ids: Iterable[str], statuses: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """The wall payload's camera records of ``ids`` (unknown ids left out)."""
        return {i: _row(self.entries[i], statuses[i]) for i in ids if i in self.entries}

    def search(
        self,
        query: CameraQuery,
        statuses: Mapping[str, str],
        allowed: Callable[[str], bool] | None,
    ) -> dict[str, Any]:
        found = matching(self.entries.values(), statuses, query, allowed)
        items = [
            {"camera_id": e.camera_id, **_row(e, statuses[e.camera_id])} for e in page(found, query)
        ]
        return {"total": len(found), "limit": query.limit, "offset": query.offset, "items": items}

    def ids(
        self,
        query: CameraQuery,
        statuses: Mapping[str, str],
        allowed: Callable[[str], bool] | None,
    ) -> list[str]:
        """Every camera a query matches, in id order (a camera tour's list)."""
        return [e.camera_id for e in matching(self.entries.values(), statuses, query, allowed)]

    def map(
        self,
        view: BBox | None,
        statuses: Mapping[str, str],
        allowed: Callable[[str], bool] | None,
        max_pins: int,
    ) -> dict[str, Any]:
        points = [
            MapPoint(e.camera_id, e.lon, e.lat, statuses[e.camera_id])
            for e in self.entries.values()
            if allowed is None or allowed(e.camera_id)
        ]
        view = view or _around(points)
        out = map_view(points, view, max_pins)
        return {
            "total": out.total,
            "bbox": [view.lon0, view.lat0, view.lon1, view.lat1],
            "pins": [
                {"camera_id": p.camera_id, "lon": p.lon, "lat": p.lat, "status": p.status}
                for p in out.pins
            ],
            "clusters": [
                {
                    "lon": c.lon,
                    "lat": c.lat,
                    "count": c.count,
                    "offline": c.offline,
                    "not_started": c.not_started,
                    "bbox": list(c.bbox),
                }
                for c in out.clusters
            ],
        }


def _row(e: CameraEntry, status: str) -> dict[str, Any]:
    return {
        "name": e.name,
        "box_id": e.box_id,
        "grid_code": e.grid_code,
        "lon": e.lon,
        "lat": e.lat,
        "online": status != "offline",
        "status": status,
    }


def _around(points: list[MapPoint]) -> BBox:
    """The box around every point (a whole-district view), a little larger than them."""
    if not points:
        return BBox(-180, -90, 180, 90)
    lons = [p.lon for p in points]
    lats = [p.lat for p in points]
    pad = 1e-6
    return BBox(min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad)

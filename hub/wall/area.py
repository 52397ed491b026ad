"""A wall's area: a street's or community's room has a wall of its own place.

A wall defined with ``area`` (a street, community or grid code) shows only the alarms and
cases whose grid lies in it and the cameras with a zone looking into it; a wall without one
is the county's. A caller whose token has an area opens only walls of its area or inside it
(``within``). The rule itself is ``hub.domain.area``.
"""

from __future__ import annotations

from hub.district.load import District
from hub.domain.area import Area, AreaError, covers, covers_any, parse_area


class WallAreas:
    def __init__(self, district: District) -> None:
        self.district = district
        self.parents = {code: g.parent_code for code, g in district.grids.items()}
        self._camera_grids = {
            cam.camera_id: [
                district.grid_index.locate(z.target.lon, z.target.lat) for z in cam.zones
            ]
            for cam in district.cameras.values()
        }

    def parse(self, code: str | None) -> Area | None:
        """The area a wall spec names; ``ValueError`` (a 422) for a code not in the district."""
        if code is None:
            return None
        d = self.district
        try:
            return parse_area(code, d.county.code, d.streets, d.communities, d.grids)
        except AreaError as exc:
            raise ValueError(f"wall area: {exc}") from None

    def shows(self, area: Area | None, grid_code: str | None) -> bool:
        return covers(area, grid_code, self.parents)

    def shows_camera(self, area: Area | None, camera_id: str | None) -> bool:
        return area is None or covers_any(
            area, self._camera_grids.get(camera_id or "", []), self.parents
        )

    def shows_box(self, area: Area | None, box_id: str | None) -> bool:
        return area is None or any(
            self.shows_camera(area, c.camera_id)
            for c in self.district.cameras.values()
            if c.box_id == box_id
        )


def within(caller: Area | None, wall: Area | None) -> bool:
    """Whether a caller of area ``caller`` may open a wall of area ``wall``: a county caller
    any wall; a street's caller its street's walls and those of its communities and grids."""
    if caller is None or caller.level == "county":
        return True
    return wall is not None and wall.code.startswith(caller.code)

"""Routes a scoped token may not use because they are truly county-wide: nothing in them
belongs to one place or one department. Refused (403) for a token with an area or a
department, never answered unfiltered; a county token (neither) is unaffected. Every other
route filters by place and department (``hub.api.scope``).

Why each is county-wide:
- wall scenes, tours, feedback and the fleet banner: the county room's screen layouts and the
  health of every edge box (a street's wall itself is filtered, ``hub/wall/router.py``);
- the 12345 / department import and its change feed: a sending system files and follows its
  records anywhere in the county (and the signed webhook carries status back per source);
- fleet, edges, dead letters and enrolment: technicians' views of the whole installation.

A department's desk also has no wall: the wall is a place's, the desk a department's queue.
"""

from __future__ import annotations

from fastapi import HTTPException

from hub.api.auth import Principal

COUNTY_ONLY = (
    "/api/wall/scenes",
    "/api/wall/tours",
    "/api/wall/feedback",
    "/api/wall/fleet",
    "/api/intake/import",
    "/api/intake/feed/",
    "/api/intake/webhooks",
    "/api/fleet",
    "/api/edges",
    "/api/dead-letters",
    "/api/enrol/",
)
PLACE_ONLY = ("/api/wall",)  # a place's room: not for a department's desk


def refuse_unscoped(path: str, p: Principal) -> None:
    """403 when a scoped token asks for a county-wide route."""
    if p.scoped and path.startswith(COUNTY_ONLY):
        who = f"{p.area.level} {p.area.code}" if p.area else f"department {p.department}"
        raise HTTPException(403, f"{path} is county-wide: a token of {who} may not use it")
    if p.department is not None and path.startswith(PLACE_ONLY):
        raise HTTPException(
            403, f"{path} is a place's room: a token of department {p.department} has a desk"
        )

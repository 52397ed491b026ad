"""Routes a token with an area may not use yet: they show the whole county and are not
filtered by place. Refused (403) for such a token, never answered unfiltered; a county
token (no area) is unaffected. Each prefix leaves this list when its route filters by area
(``hub.api.scope``)."""

from __future__ import annotations

from fastapi import HTTPException

from hub.api.auth import Principal

COUNTY_ONLY = (
    "/api/wall/scenes",  # the wall itself is filtered (hub/wall/router.py); scenes, tours,
    "/api/wall/tours",  # feedback and the fleet banner name the whole county
    "/api/wall/feedback",
    "/api/wall/fleet",
    "/api/supervision",
    "/api/reports",
    "/api/intake/triage",
    "/api/intake/import",
    "/api/intake/feed/",
    "/api/fleet",
    "/api/edges",
    "/api/dead-letters",
    "/api/enrol/",
)


def refuse_unscoped(path: str, p: Principal) -> None:
    """403 when a token with an area asks for a route that is not filtered by place."""
    if p.area is not None and path.startswith(COUNTY_ONLY):
        raise HTTPException(
            403,
            f"{path} is not filtered by place yet: a token of {p.area.level} "
            f"{p.area.code} may not use it",
        )

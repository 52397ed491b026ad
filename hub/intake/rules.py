"""The rules of intake, pure and table-tested: which sources exist, what digit each puts in
the case number, which reports wait for an operator, and the checks every report passes
before anything is stored (a known category, a point inside the district, photos where the
source needs them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from hub.domain.case_number import Source

SourceName = Literal["video_ai", "grid_member", "public", "hotline", "department", "operator"]

SOURCE_DIGIT: dict[str, Source] = {
    "video_ai": Source.VIDEO_AI,
    "grid_member": Source.GRID_MEMBER,
    "hotline": Source.HOTLINE,
    "public": Source.PUBLIC,
    "department": Source.OTHER,
    "operator": Source.OTHER,
}
"""The case number's source digit: 1 video AI, 2 grid member, 3 hotline, 4 public, 9 other."""

TRIAGE_SOURCES = frozenset({"public"})
"""Reports from these sources wait in the operator's triage queue; never dispatched directly."""

REF = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class IntakeRejected(ValueError):
    """A report the hub refuses, with the HTTP status to answer; nothing was stored."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Report:
    """One report of a problem from any source, checked (see ``check``)."""

    source: str
    ref: str
    """Idempotency key within the source: the app's report id, a form id, an external reference."""
    category: str
    lon: float
    lat: float
    grid_code: str
    actor: str
    """Who files it, as the case log names actors (``responder:p-…``, ``public``, …)."""
    note: str | None = None
    reporter: str | None = None
    """The grid member's person id (patrol reports)."""
    on_the_spot: bool = False
    """随手办: found and fixed at once; the case closes as it is filed."""
    facts: dict[str, Any] = field(default_factory=dict)
    """More to keep on the report (external reference, phone, place token, camera still, ...)."""

    @property
    def triage(self) -> bool:
        return self.source in TRIAGE_SOURCES

    @property
    def digit(self) -> Source:
        return SOURCE_DIGIT[self.source]


def check_source(source: str) -> str:
    if source not in SOURCE_DIGIT:
        raise IntakeRejected(f"unknown source {source!r}; sources are {sorted(SOURCE_DIGIT)}")
    return source


def check_ref(ref: str, what: str = "reference") -> str:
    if not REF.match(ref or ""):
        raise IntakeRejected(
            f"{what} {ref!r} must be 1-128 characters of letters, digits and _ . : -"
        )
    return ref


def check_category(category: str, known: Collection[str]) -> str:
    if category not in known:
        raise IntakeRejected(f"unknown category {category!r}; known: {sorted(known)}")
    return category


def place_in_grid(lon: float, lat: float, locate: Callable[[float, float], str | None]) -> str:
    """The grid a point lies in, by the same lookup as camera zones; outside every grid is an
    error that quotes the point."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise IntakeRejected(f"({lon}, {lat}) is not a longitude, latitude pair")
    grid = locate(lon, lat)
    if grid is None:
        raise IntakeRejected(f"the point ({lon}, {lat}) is outside the district's grids")
    return grid


def check_photo_count(source: str, on_the_spot: bool, before: int, after: int) -> None:
    """Patrol and citizen reports need a photo of the problem; a fix on the spot also an
    after-photo; other sources may attach photos but need none."""
    if source in ("grid_member", "public") and before == 0:
        raise IntakeRejected(f"a {source} report needs at least one photo of the problem")
    if on_the_spot and source != "grid_member":
        raise IntakeRejected("only a grid member's patrol report can be fixed on the spot")
    if on_the_spot and after == 0:
        raise IntakeRejected("a fix on the spot (随手办) needs an after-photo")
    if after and not on_the_spot:
        raise IntakeRejected("after-photos belong to a fix on the spot (on_the_spot=true)")


def first_actions(report: Report) -> list[str]:
    """The events a new case of this report starts with."""
    if report.triage:
        return ["report"]
    if report.on_the_spot:
        return ["report", "file", "dispatch", "accept", "resolve", "verify", "close"]
    return ["report", "file", "dispatch"]


PUBLIC_STATES = {
    "reported": "received, waiting to be checked",
    "verifying": "received, waiting to be checked",
    "filed": "accepted, being assigned",
    "dispatched": "assigned to the people who handle it",
    "accepted": "being handled",
    "in_progress": "being handled",
    "postpone_requested": "being handled",
    "suspended": "on hold",
    "returned": "being reassigned",
    "rework": "being handled again",
    "reopened": "reopened",
    "escalated": "being handled",
    "resolved": "handled, being checked",
    "verified": "done",
    "closed": "done",
    "evaluated": "done",
    "rejected": "not taken up",
    "merged": "joined with another report of the same problem",
}
"""What a citizen is told of a case's state: plain words, nothing about people or places."""

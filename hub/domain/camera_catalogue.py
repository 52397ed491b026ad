"""The county's cameras for the wall's picker and camera tours: search, filter, page. Pure.

At county size (12,000 cameras) a page never receives the whole list: the picker asks for
one page of a query (text in the id, name, box or grid, a place, a status), and a camera
tour steps through a query's result one wall-full at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

Status = Literal["online", "offline", "not_started"]
STATUSES: tuple[str, ...] = get_args(Status)
MAX_LIMIT = 200
MAX_QUERY = 64


class CatalogueError(ValueError):
    """A query the catalogue cannot answer; the message names the bad value."""


@dataclass(frozen=True, slots=True)
class CameraEntry:
    """What never changes about a camera while the hub runs (the district's file)."""

    camera_id: str
    name: str
    box_id: str
    grid_code: str | None  # where its first zone looks
    lon: float  # the mount point, where the map draws the pin
    lat: float
    text: str = ""  # lower-case id, name, box, grid code and grid name: what ``q`` matches

    @staticmethod
    def of(
        camera_id: str,
        name: str,
        box_id: str,
        grid_code: str | None,
        lon: float,
        lat: float,
        grid_name: str = "",
    ) -> CameraEntry:
        text = " ".join([camera_id, name, box_id, grid_code or "", grid_name]).lower()
        return CameraEntry(camera_id, name, box_id, grid_code, lon, lat, text)


@dataclass(frozen=True, slots=True)
class CameraQuery:
    q: str = ""
    status: str | None = None
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        if len(self.q) > MAX_QUERY:
            raise CatalogueError(f"q is {len(self.q)} characters; at most {MAX_QUERY}")
        if self.status is not None and self.status not in STATUSES:
            raise CatalogueError(f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise CatalogueError(f"limit {self.limit} must be 1 to {MAX_LIMIT}")
        if self.offset < 0:
            raise CatalogueError(f"offset {self.offset} must not be negative")


def status_of(
    entry: CameraEntry,
    boxes_down: set[str],
    cameras_down: set[str],
    heard: set[str] | None,
) -> Status:
    """Offline while the fleet holds an alarm for it or its box; not started while its box
    was never heard from (``heard`` None: the hub keeps no such record)."""
    if entry.box_id in boxes_down or entry.camera_id in cameras_down:
        return "offline"
    return "online" if heard is None or entry.box_id in heard else "not_started"


def matching(
    entries: Iterable[CameraEntry],
    statuses: Mapping[str, str],
    query: CameraQuery,
    allowed: Callable[[str], bool] | None = None,
) -> list[CameraEntry]:
    """Every entry the query matches, in camera id order: all words of ``q`` in its text,
    its status, and ``allowed`` (the caller's and the asked place)."""
    words = query.q.lower().split()
    out = [
        e
        for e in entries
        if all(w in e.text for w in words)
        and (query.status is None or statuses.get(e.camera_id) == query.status)
        and (allowed is None or allowed(e.camera_id))
    ]
    return sorted(out, key=lambda e: e.camera_id)


def page(found: Sequence[CameraEntry], query: CameraQuery) -> list[CameraEntry]:
    return list(found[query.offset : query.offset + query.limit])


def tour_pages(count: int, per_page: int) -> int:
    """How many wall-fulls a camera tour of ``count`` cameras has (at least one)."""
    if per_page < 1:
        raise CatalogueError(f"a camera tour needs at least one video tile, got {per_page}")
    return max(1, -(-count // per_page))


def tour_page(ids: Sequence[str], per_page: int, position: int) -> list[str]:
    """The cameras of a camera tour's ``position``-th wall-full (wrapping around)."""
    pages = tour_pages(len(ids), per_page)
    start = (position % pages) * per_page
    return list(ids[start : start + per_page])

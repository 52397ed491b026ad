"""The overview scene a new wall starts with: which camera goes in which tile. Pure.

Cameras whose video the hub can play (they have a source in the video relay's settings)
come first, in camera order, then the rest; the video slots of each monitor fill in turn,
and alarm monitors stay empty for alarms. So a demo that runs 5 of the district's 24
cameras shows those 5 on the first screen rather than wherever their ids happen to sort.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from hub.domain.wall_rules import layout_named


def camera_order(cameras: Iterable[str], streamed: Collection[str]) -> list[str]:
    """Streamed cameras first, then the others; each group in camera-id order."""
    return sorted(cameras, key=lambda c: (c not in streamed, c))


def overview_monitors(
    cameras: Iterable[str],
    streamed: Collection[str],
    layouts: Sequence[str],
    alarm_monitors: Collection[int],
) -> list[tuple[str, list[str]]]:
    """(layout, cameras) per monitor: cameras in ``camera_order`` fill the video slots of
    the monitors that are not alarm monitors, in monitor order; a monitor gets fewer
    cameras than slots once the cameras run out. An unknown layout raises
    ``WallRuleError`` naming it."""
    order = camera_order(cameras, streamed)
    out: list[tuple[str, list[str]]] = []
    taken = 0
    for m, name in enumerate(layouts):
        n = 0 if m in alarm_monitors else layout_named(name).video_slots
        out.append((name, order[taken : taken + n]))
        taken += len(out[-1][1])
    return out

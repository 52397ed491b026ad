"""Config and model rollouts: which boxes, and what each said. Pure code.

A box's status starts ``pending`` and follows its acknowledgements; ``rolled_back`` is final
for that config (the box's supervisor will never try it again), while ``rejected`` may still
turn into ``applied`` (the running agent refuses a restart-only change, then the supervisor
restarts it with the config and the new agent applies it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

FINAL = frozenset({"rolled_back", "timed_out"})
STATUSES = ("pending", "applied", "rejected", "rolled_back", "timed_out")


def next_status(current: str, ack: str) -> str:
    if current in FINAL:
        return current
    if ack not in STATUSES:
        raise ValueError(f"unknown acknowledgement status {ack!r}")
    return ack


def summary(statuses: Iterable[str]) -> dict[str, int]:
    counts = Counter(statuses)
    return {s: counts.get(s, 0) for s in STATUSES}


def pick_boxes(known: Iterable[str], boxes: list[str] | None, group: str | None) -> list[str]:
    """The boxes a rollout goes to: a list, or a group (``all`` or a box-id prefix ``edge-0*``)."""
    known_set = set(known)
    if bool(boxes) == bool(group):
        raise ValueError("name either boxes or a group, not both and not neither")
    if boxes:
        unknown = sorted(set(boxes) - known_set)
        if unknown:
            raise ValueError(f"unknown boxes {unknown}; known: {sorted(known_set)}")
        return sorted(set(boxes))
    assert group is not None
    if group == "all":
        chosen = sorted(known_set)
    elif group.endswith("*") and len(group) > 1:
        chosen = sorted(b for b in known_set if b.startswith(group[:-1]))
    else:
        raise ValueError(f"group {group!r} must be 'all' or a box-id prefix ending in '*'")
    if not chosen:
        raise ValueError(f"group {group!r} matches no box")
    return chosen

"""The detection boxes an alarm record keeps: the latest alert's, bounded, in one field.

An alert may carry up to 64 boxes (the contract's bound, already checked at ingest). The
alarm record keeps at most ``MAX_BOXES`` of them (the most confident, when there are more)
as compact JSON rows ``[x0, y0, x1, y1, confidence, class_name]`` in normalised image
coordinates (4 decimals: a fifth of a pixel on a 1920-wide frame). ``encode`` runs on the
correlation hot path (about 4 µs for 4 boxes here, half of what ``json.dumps`` of the same
rows takes), so it formats the rows itself and validates nothing; ``kept_in_batch`` says
which alerts of a batch need it at all; ``decode`` turns a stored field back into the
API's shape and refuses a malformed one with an error naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

MAX_BOXES = 16
"""Most boxes an alarm record keeps (the most confident of the alert's)."""

# class names match [a-z0-9_]{1,40} (the contract), so they need no JSON escaping
_ROW = '[%.4f,%.4f,%.4f,%.4f,%.4f,"%s"]'


class BadBoxes(ValueError):
    """A stored boxes field that is not what ``encode`` writes."""


def encode(boxes: Sequence[dict[str, Any]]) -> str:
    """The record's ``boxes`` field for an alert's boxes (as the contract checked them);
    '' for none, so the batch script can tell "no boxes in this alert" apart."""
    if not boxes:
        return ""
    if len(boxes) > MAX_BOXES:
        boxes = sorted(boxes, key=_confidence, reverse=True)[:MAX_BOXES]
    return (
        "["
        + ",".join([_ROW % (*b["xyxy_norm"], b["confidence"], b["class_name"]) for b in boxes])
        + "]"
    )


def kept_in_batch(alerts: Sequence[dict[str, Any]]) -> set[int]:
    """Indexes of the alerts of a batch whose boxes the batch script could keep: per alarm
    key, the latest (by ``updated_at_ms``, the later in the batch on a tie) alert that is not
    an 'end' and carries boxes. The script keeps an alarm's boxes only from an alert at least
    as recent as them and runs the batch in order, so every earlier alert's boxes would be
    overwritten within the same call: sending them '' gives the same record and saves their
    encoding (a batch under load holds several updates of each alarm)."""
    best: dict[tuple[str, str, str], tuple[int, int]] = {}
    for i, a in enumerate(alerts):
        if a["type"] == "end" or not a.get("boxes"):
            continue
        key = (a["camera_id"], a["zone_id"], a["category"])
        at = a["updated_at_ms"]
        held = best.get(key)
        if held is None or at >= held[0]:
            best[key] = (at, i)
    return {i for _, i in best.values()}


def _confidence(b: dict[str, Any]) -> float:
    return float(b["confidence"])


def decode(field: str | None) -> list[dict[str, Any]]:
    """The boxes of a stored field, as ``{xyxy_norm, confidence, class_name}`` (the shape the
    wall and the API use); [] for a missing or empty field. ``BadBoxes`` names a bad one."""
    if not field:
        return []
    try:
        rows = json.loads(field)
    except ValueError:
        raise BadBoxes(f"boxes field is not JSON: {field[:80]!r}") from None
    if not isinstance(rows, list) or len(rows) > MAX_BOXES:
        raise BadBoxes(f"boxes field must be a list of at most {MAX_BOXES} rows: {field[:80]!r}")
    out = []
    for row in rows:
        if not (
            isinstance(row, list)
            and len(row) == 6
            and all(_fraction(v) for v in row[:5])
            and isinstance(row[5], str)
        ):
            raise BadBoxes(
                f"box row {row!r} is not [x0, y0, x1, y1, confidence, class_name] "
                "with numbers in 0..1"
            )
        out.append({"xyxy_norm": row[:4], "confidence": row[4], "class_name": row[5]})
    return out


def _fraction(v: object) -> bool:
    return (
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 and math.isfinite(v)
    )

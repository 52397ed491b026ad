"""A fast accept-only check of an alert payload, for the ingest hot path.

``quick_alert`` parses the JSON once and checks every rule of ``contracts.messages.
AlertEvent`` by hand (types as pydantic's strict JSON mode takes them, the same patterns,
bounds and cross-field rules). It only ever *accepts*: on anything it does not take it
returns None and the caller runs the contract's full ``decode``, which gives the precise
error. So the errors in dead letters are the contract's own, word for word, and the check
can never accept what the contract refuses (``tests/hub/test_alert_check.py`` compares both
on valid and broken payloads). The parsed dict goes on to the caller, so nothing parses twice.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from contracts.codec import MAX_MESSAGE_BYTES
from contracts.messages import CONTRACT_VERSION

# the contract's patterns, anchored the way pydantic anchors them (no trailing newline)
_IDENT = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{7,95}")
_CATEGORY = re.compile(r"[0-9]{5}")
_LABEL = re.compile(r"[a-z0-9_]{1,40}")
_EPOCH_MAX = 32_503_680_000_000
_REQUIRED = frozenset(
    {
        "type",
        "event_id",
        "seq",
        "box_id",
        "camera_id",
        "zone_id",
        "category",
        "rule",
        "confidence",
        "started_at_ms",
        "updated_at_ms",
    }
)
_ALLOWED = _REQUIRED | {"v", "boxes", "ended_at_ms", "snapshot_id", "attributes"}
_BOX_KEYS = frozenset({"xyxy_norm", "confidence", "class_name", "tracker_id"})
_TYPES = frozenset({"new", "update", "end"})


def _is_int(x: object) -> bool:
    return type(x) is int


def _fraction(x: object) -> bool:
    return type(x) in (int, float) and 0.0 <= x <= 1.0  # type: ignore[operator]


def _epoch(x: object) -> bool:
    return type(x) is int and 0 <= x <= _EPOCH_MAX


def _match(pattern: re.Pattern[str], x: object) -> bool:
    return type(x) is str and pattern.fullmatch(x) is not None


def _box_ok(b: object) -> bool:
    if type(b) is not dict or not b.keys() <= _BOX_KEYS:
        return False
    xy = b.get("xyxy_norm")
    if type(xy) is not list or len(xy) != 4 or not all(_fraction(v) for v in xy):
        return False
    if not (xy[0] < xy[2] and xy[1] < xy[3]):
        return False
    tid = b.get("tracker_id")
    if tid is not None and not (_is_int(tid) and tid >= 0):
        return False
    return _fraction(b.get("confidence")) and _match(_LABEL, b.get("class_name"))


def _attr_ok(k: object, v: object) -> bool:
    if not _match(_LABEL, k):
        return False
    t = type(v)
    if t is float:
        return math.isfinite(v)  # type: ignore[arg-type]
    return t in (bool, int) or (t is str and len(v) <= 200)  # type: ignore[arg-type]


def quick_alert(payload: bytes, box_id: str) -> dict[str, Any] | None:
    """The alert as a dict if it certainly satisfies the contract, else None."""
    if len(payload) > MAX_MESSAGE_BYTES:
        return None
    try:
        a = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if type(a) is not dict or not a.keys() <= _ALLOWED or not a.keys() >= _REQUIRED:
        return None
    v = a.get("v")
    if not (_is_int(v) and v == CONTRACT_VERSION):
        return None
    kind = a["type"]
    if type(kind) is not str or kind not in _TYPES or a["box_id"] != box_id:
        return None
    if not (
        _match(_EVENT_ID, a["event_id"])
        and _is_int(a["seq"])
        and a["seq"] >= 0
        and _match(_IDENT, a["box_id"])
        and _match(_IDENT, a["camera_id"])
        and _match(_IDENT, a["zone_id"])
        and _match(_CATEGORY, a["category"])
        and _match(_LABEL, a["rule"])
        and _fraction(a["confidence"])
        and _epoch(a["started_at_ms"])
        and _epoch(a["updated_at_ms"])
        and a["updated_at_ms"] >= a["started_at_ms"]
    ):
        return None
    ended = a.get("ended_at_ms")
    if (ended is not None and not _epoch(ended)) or ((kind == "end") != (ended is not None)):
        return None
    snap = a.get("snapshot_id")
    if snap is not None and not _match(_EVENT_ID, snap):
        return None
    boxes = a.get("boxes", [])
    if type(boxes) is not list or len(boxes) > 64 or not all(_box_ok(b) for b in boxes):
        return None
    attrs = a.get("attributes", {})
    if type(attrs) is not dict or len(attrs) > 16:
        return None
    if not all(_attr_ok(k, v) for k, v in attrs.items()):
        return None
    return a

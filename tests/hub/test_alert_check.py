"""The ingest fast path accepts exactly what the contract accepts, never more, and takes
the alerts real boxes send (so the fast path is the one that runs)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.codec import ContractError, decode
from contracts.topics import TopicKind, topic_for
from hub.services.alert_check import quick_alert

PREFIX = "gw"
TOPIC = topic_for(PREFIX, TopicKind.EVENT, "edge-01")
GOOD: dict[str, Any] = {
    "v": 1,
    "type": "update",
    "event_id": "ev-edge-01-000042",
    "seq": 3,
    "box_id": "edge-01",
    "camera_id": "cam-01",
    "zone_id": "ground",
    "category": "06010",
    "rule": "stacking",
    "confidence": 0.91,
    "boxes": [
        {"xyxy_norm": [0.1, 0.2, 0.3, 0.4], "confidence": 0.9, "class_name": "waste"},
        {"xyxy_norm": [0, 0, 1, 1], "confidence": 1, "class_name": "bag", "tracker_id": 7},
    ],
    "started_at_ms": 1_790_000_000_000,
    "updated_at_ms": 1_790_000_001_000,
    "snapshot_id": "snap-edge-01-000042",
    "attributes": {"dwell_s": 12.5, "count": 3, "moving": False, "note": "by the gate"},
}


def contract_accepts(payload: bytes) -> bool:
    try:
        decode(PREFIX, TOPIC, payload)
    except ContractError:
        return False
    return True


def check(doc: object) -> bool | None:
    """None when both agree; raises when the fast path accepts what the contract refuses."""
    payload = json.dumps(doc).encode() if not isinstance(doc, bytes) else doc
    fast = quick_alert(payload, "edge-01")
    full = contract_accepts(payload)
    assert not (fast is not None and not full), f"fast path accepted a bad alert: {payload!r}"
    return fast is not None


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"boxes": [], "attributes": {}},
        {"type": "end", "ended_at_ms": 1_790_000_002_000},
        {"type": "new", "snapshot_id": None},
        {"confidence": 1},
        {"confidence": 0},
    ],
)
def test_valid_alerts_take_the_fast_path(change: dict[str, Any]) -> None:
    doc = GOOD | change
    assert check(doc) is True
    assert quick_alert(json.dumps(doc).encode(), "edge-01") == json.loads(json.dumps(doc))


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2},
        {"v": True},
        {"v": 1.0},
        {"type": "begin"},
        {"seq": -1},
        {"seq": True},
        {"seq": 1.0},
        {"confidence": 1.01},
        {"confidence": "0.9"},
        {"confidence": True},
        {"box_id": "edge-02"},
        {"camera_id": "Cam-01"},
        {"camera_id": "cam-01\n"},
        {"zone_id": ""},
        {"category": "6010"},
        {"category": "060100"},
        {"rule": "Stacking"},
        {"event_id": "short"},
        {"started_at_ms": 1_790_000_002_000},
        {"updated_at_ms": -1},
        {"updated_at_ms": 32_503_680_000_001},
        {"ended_at_ms": 1_790_000_002_000},
        {"type": "end"},
        {"snapshot_id": "x"},
        {"extra": 1},
        {"boxes": [{"xyxy_norm": [0.3, 0.2, 0.1, 0.4], "confidence": 0.9, "class_name": "w"}]},
        {"boxes": [{"xyxy_norm": [0.1, 0.2, 0.3], "confidence": 0.9, "class_name": "w"}]},
        {"boxes": [{"xyxy_norm": [0.1, 0.2, 0.3, 1.5], "confidence": 0.9, "class_name": "w"}]},
        {"boxes": [{"xyxy_norm": [0.1, 0.2, 0.3, 0.4], "confidence": 0.9, "class_name": "W"}]},
        {"boxes": [{"xyxy_norm": [0, 0, 1, 1], "confidence": 1, "class_name": "w", "x": 1}]},
        {
            "boxes": [
                {"xyxy_norm": [0, 0, 1, 1], "confidence": 1, "class_name": "w", "tracker_id": -1}
            ]
        },
        {"boxes": [GOOD["boxes"][0]] * 65},
        {"attributes": {"Bad": 1}},
        {"attributes": {"x": None}},
        {"attributes": {"x": [1]}},
        {"attributes": {"x": "y" * 201}},
        {"attributes": {f"k{i}": i for i in range(17)}},
    ],
)
def test_broken_alerts_go_to_the_contract_for_their_error(change: dict[str, Any]) -> None:
    assert check(GOOD | change) is False


@pytest.mark.parametrize(
    "payload",
    [b"", b"{", b"[]", b"\xff", b"null", json.dumps(GOOD).encode() + b" " * 20_000],
)
def test_non_alerts_go_to_the_contract(payload: bytes) -> None:
    assert check(payload) is False


def test_missing_required_field() -> None:
    for key in ("type", "seq", "confidence", "started_at_ms", "rule"):
        assert check({k: v for k, v in GOOD.items() if k != key}) is False


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["end", "new", "cam-01", "06010", "a" * 64, "a" * 65, "0" * 8]),
    st.lists(st.floats(min_value=0, max_value=1), max_size=5),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from([*GOOD, "ended_at_ms", "other"]), VALUES, max_size=4))
def test_random_changes_never_slip_through(change: dict[str, Any]) -> None:
    check(GOOD | change)

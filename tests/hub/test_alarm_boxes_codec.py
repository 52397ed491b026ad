"""The alarm record's boxes field: what ``encode`` keeps of an alert's boxes, and ``decode``
refusing what the hub never writes, naming it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.store.boxes import MAX_BOXES, BadBoxes, decode, encode, kept_in_batch


def _box(conf: float, x0: float = 0.1, name: str = "cylinder") -> dict[str, Any]:
    return {"xyxy_norm": [x0, 0.2, x0 + 0.05, 0.6], "confidence": conf, "class_name": name}


def test_round_trip_rounds_to_four_decimals_and_drops_the_tracker() -> None:
    box = {
        "xyxy_norm": [0.123456789, 0.2, 0.3456789, 1],
        "confidence": 0.87654,
        "class_name": "waste_bag",
        "tracker_id": 7,
    }
    field = encode([box])
    assert json.loads(field) == [[0.1235, 0.2, 0.3457, 1.0, 0.8765, "waste_bag"]]
    assert decode(field) == [
        {"xyxy_norm": [0.1235, 0.2, 0.3457, 1.0], "confidence": 0.8765, "class_name": "waste_bag"}
    ]


def test_no_boxes_is_the_empty_field() -> None:
    assert encode([]) == ""
    assert decode("") == []
    assert decode(None) == []


def test_more_than_the_bound_keeps_the_most_confident() -> None:
    boxes = [_box(round(0.3 + i / 100, 2), x0=i / 100) for i in range(40)]
    kept = decode(encode(boxes))
    assert len(kept) == MAX_BOXES == 16
    assert [b["confidence"] for b in kept] == [round(0.3 + i / 100, 2) for i in range(39, 23, -1)]


def test_at_the_bound_keeps_the_alerts_order() -> None:
    boxes = [_box(0.5 + i / 100) for i in range(MAX_BOXES)]
    assert [b["confidence"] for b in decode(encode(boxes))] == [
        round(0.5 + i / 100, 4) for i in range(MAX_BOXES)
    ]


@pytest.mark.parametrize(
    ("field", "error"),
    [
        ("[[0.1,0.2", "boxes field is not JSON: '[[0.1,0.2'"),
        ('{"a":1}', "must be a list of at most 16 rows"),
        (json.dumps([[0.1, 0.2, 0.3, 0.4, 0.5, "w"]] * 17), "must be a list of at most 16 rows"),
        ("[[0.1,0.2,0.3,0.4,0.5]]", "box row [0.1, 0.2, 0.3, 0.4, 0.5] is not"),
        ('[[0.1,0.2,0.3,1.5,0.5,"w"]]', "box row [0.1, 0.2, 0.3, 1.5, 0.5, 'w'] is not"),
        ("[[0.1,0.2,0.3,0.4,0.5,7]]", "box row [0.1, 0.2, 0.3, 0.4, 0.5, 7] is not"),
        ('[[true,0.2,0.3,0.4,0.5,"w"]]', "box row [True, 0.2, 0.3, 0.4, 0.5, 'w'] is not"),
        ('[[0.1,"0.2",0.3,0.4,0.5,"w"]]', "box row [0.1, '0.2', 0.3, 0.4, 0.5, 'w'] is not"),
    ],
)
def test_decode_names_a_bad_field(field: str, error: str) -> None:
    with pytest.raises(BadBoxes) as exc:
        decode(field)
    assert error in str(exc.value)


def _alert(i: int, kind: str = "update", at: int = 0, boxes: int = 1, cam: str = "c1") -> Any:
    return {
        "i": i,
        "type": kind,
        "camera_id": cam,
        "zone_id": "z",
        "category": "06010",
        "updated_at_ms": at,
        "boxes": [_box(0.5)] * boxes,
    }


@pytest.mark.parametrize(
    ("alerts", "kept"),
    [
        ([], set()),
        ([_alert(0, at=1)], {0}),
        # per key the latest by time; a tie goes to the later in the batch
        ([_alert(0, at=5), _alert(1, at=9), _alert(2, at=7)], {1}),
        ([_alert(0, at=5), _alert(1, at=5)], {1}),
        # an 'end' or an alert without boxes never holds them
        ([_alert(0, at=5), _alert(1, "end", at=9)], {0}),
        ([_alert(0, at=5), _alert(1, at=9, boxes=0)], {0}),
        ([_alert(0, "end", at=5), _alert(1, at=9, boxes=0)], set()),
        # keys apart
        ([_alert(0, at=5), _alert(1, at=3, cam="c2"), _alert(2, at=4)], {0, 1}),
        ([_alert(0, "new", at=1), _alert(1, at=2, cam="c2"), _alert(2, at=3, cam="c2")], {0, 2}),
    ],
)
def test_a_batch_encodes_only_the_boxes_the_script_keeps(
    alerts: list[dict[str, Any]], kept: set[int]
) -> None:
    assert kept_in_batch(alerts) == kept

"""Table tests: box and camera health, fleet alarm steps, rollout status and targets."""

from __future__ import annotations

import json

import pytest

from hub.fleet.health import (
    active_alarms,
    alarm_changes,
    box_health,
    health_expires_ms,
    parse_stats,
)
from hub.fleet.rollout import next_status, pick_boxes, summary

NOW = 1_800_000_000_000


def stats(*cams: tuple[str, str], sent: int = NOW) -> str:
    return json.dumps(
        {
            "v": 1,
            "box_id": "edge-01",
            "sent_ms": sent,
            "uptime_s": 10.0,
            "software_version": "0.1.0",
            "model_version": "det-320",
            "cpu_percent": 20.0,
            "cpu_temp_c": 51.0,
            "mem_used_bytes": 1,
            "disk_free_bytes": 2,
            "outbox_depth": 0,
            "cameras": [
                {
                    "camera_id": c,
                    "state": s,
                    "capture_fps": 5.0,
                    "detect_fps": 5.0,
                    "skipped_frames": 0,
                    "inference_ms": 12.5,
                    "queue_depth": 0,
                }
                for c, s in cams
            ],
        }
    )


@pytest.mark.parametrize(
    ("record", "state", "reason", "alarms"),
    [
        ({}, "not_started", "never heard from: not started yet", {}),
        ({"state": "online"}, "unknown", "said online, no heartbeat yet", {}),
        (
            {"last_seen_ms": str(NOW - 5_000), "stats": stats(("cam-01", "online"))},
            "online",
            None,
            {},
        ),
        (
            {"last_seen_ms": str(NOW - 31_000), "stats": stats(("cam-01", "online"))},
            "offline",
            "no heartbeat for 31 s (timeout 30 s)",
            {"box:edge-01": (None, "no heartbeat for 31 s (timeout 30 s)")},
        ),
        (
            {"state": "offline", "last_seen_ms": str(NOW)},
            "offline",
            "the box said offline (or its connection dropped: last will)",
            {"box:edge-01": (None, "the box said offline (or its connection dropped: last will)")},
        ),
        (
            {"last_seen_ms": str(NOW), "stats": stats(("cam-01", "reconnecting"))},
            "online",
            None,
            {"camera:edge-01:cam-01": ("cam-01", "reconnecting")},
        ),
        (
            {"last_seen_ms": str(NOW), "stats": stats(("cam-02", "online"))},
            "online",
            None,
            {"camera:edge-01:cam-01": ("cam-01", "not in the box's heartbeat")},
        ),
    ],
)
def test_box_health(
    record: dict[str, str], state: str, reason: str | None, alarms: dict[str, object]
) -> None:
    h = box_health("edge-01", record, NOW, 30.0, ("cam-01",))
    assert (h.state, h.reason) == (state, reason)
    assert active_alarms(h) == alarms


@pytest.mark.parametrize(
    ("record", "camera_state"),
    [
        ({}, "not_started"),  # never heard from: not a fault, no alarm
        ({"state": "offline"}, "offline"),
        ({"last_seen_ms": str(NOW - 31_000)}, "offline"),
    ],
)
def test_cameras_of_a_box_that_is_not_up(record: dict[str, str], camera_state: str) -> None:
    h = box_health("edge-01", record, NOW, 30.0, ("cam-01", "cam-02"))
    assert [(c.camera_id, c.state, c.ok) for c in h.cameras] == [
        ("cam-01", camera_state, False),
        ("cam-02", camera_state, False),
    ]


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [(None, False), ("", False), ("{not json", False), ('{"v": 1}', False), (stats(), True)],
)
def test_parse_stats_and_health_from_a_kept_parse(raw: str | None, parsed: bool) -> None:
    model, as_json = parse_stats(raw)
    assert (model is not None, as_json is not None) == (parsed, parsed)
    record = {"last_seen_ms": str(NOW)} | ({"stats": raw} if raw is not None else {})
    fresh = box_health("edge-01", record, NOW, 30.0, ("cam-01",))
    kept = box_health("edge-01", record, NOW, 30.0, ("cam-01",), (model, as_json))
    assert fresh == kept


def test_health_carries_the_fleet_page_figures() -> None:
    h = box_health(
        "edge-01", {"last_seen_ms": str(NOW), "stats": stats(("cam-01", "online"))}, NOW, 30, ()
    )
    d = h.to_dict()
    assert d["stats"]["cpu_temp_c"] == 51.0 and d["stats"]["outbox_depth"] == 0
    assert d["stats"]["software_version"] == "0.1.0" and d["stats"]["model_version"] == "det-320"
    assert d["cameras"][0]["inference_ms"] == 12.5 and d["cameras"][0]["detect_fps"] == 5.0


def test_alarm_changes_raise_once_and_clear() -> None:
    now: dict[str, tuple[str | None, str]] = {"box:edge-01": (None, "gone")}
    first = alarm_changes("edge-01", set(), now, NOW)
    assert [(c.key, c.action) for c in first] == [("box:edge-01", "raise")]
    assert alarm_changes("edge-01", {"box:edge-01"}, now, NOW) == []
    back = alarm_changes("edge-01", {"box:edge-01", "camera:edge-01:cam-02"}, {}, NOW)
    assert [(c.key, c.action, c.camera_id) for c in back] == [
        ("box:edge-01", "clear", None),
        ("camera:edge-01:cam-02", "clear", "cam-02"),
    ]


@pytest.mark.parametrize(
    ("current", "ack", "expected"),
    [
        ("pending", "applied", "applied"),
        ("pending", "rejected", "rejected"),
        ("rejected", "applied", "applied"),
        ("pending", "rolled_back", "rolled_back"),
        ("rolled_back", "applied", "rolled_back"),
        ("rolled_back", "rejected", "rolled_back"),
        ("timed_out", "applied", "timed_out"),
    ],
)
def test_next_status(current: str, ack: str, expected: str) -> None:
    assert next_status(current, ack) == expected


def test_summary_counts_every_status() -> None:
    assert summary(["applied", "applied", "rolled_back"]) == {
        "pending": 0,
        "applied": 2,
        "rejected": 0,
        "rolled_back": 1,
        "timed_out": 0,
    }


KNOWN = ["edge-01", "edge-02", "edge-11"]


@pytest.mark.parametrize(
    ("boxes", "group", "expected"),
    [
        (["edge-02"], None, ["edge-02"]),
        (None, "all", ["edge-01", "edge-02", "edge-11"]),
        (None, "edge-0*", ["edge-01", "edge-02"]),
        (["edge-09"], None, r"unknown boxes \['edge-09'\]"),
        (None, "edge-9*", "group 'edge-9\\*' matches no box"),
        (None, "north", "must be 'all' or a box-id prefix"),
        (["edge-01"], "all", "not both"),
        (None, None, "not neither"),
    ],
)
def test_pick_boxes(boxes: list[str] | None, group: str | None, expected: object) -> None:
    if isinstance(expected, list):
        assert pick_boxes(KNOWN, boxes, group) == expected
    else:
        with pytest.raises(ValueError, match=str(expected)):
            pick_boxes(KNOWN, boxes, group)


@pytest.mark.parametrize(
    ("record", "expires"),
    [
        ({}, None),  # not started: only a record changes it
        ({"state": "online"}, None),
        ({"state": "offline", "last_seen_ms": str(NOW - 5_000)}, None),  # its last will
        ({"last_seen_ms": str(NOW - 5_000)}, NOW + 25_001),  # offline 30 s after the beat
        ({"last_seen_ms": str(NOW - 30_000)}, NOW + 1),  # online at the very deadline
        ({"last_seen_ms": str(NOW - 31_000)}, NOW + 1),  # silent: its reason counts seconds
    ],
)
def test_health_expires(record: dict[str, str], expires: int | None) -> None:
    assert health_expires_ms(record, NOW, 30.0) == expires
    if expires is not None and box_health("edge-01", record, NOW, 30.0).state == "online":
        # online up to the moment it expires, offline from then on
        assert box_health("edge-01", record, expires - 1, 30.0).state == "online"
        assert box_health("edge-01", record, expires, 30.0).state == "offline"

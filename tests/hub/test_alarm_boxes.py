"""Detection boxes on the alarm record: an auto-filed case's API detail carries the boxes of
its alarm's latest alert (with the snapshot that alert named), re-triggers replace them, an
alert without boxes, an older alert and an 'end' leave them, and the record keeps at most 16
(the most confident); one batch script call keeps what one alert at a time keeps. Real
Mosquitto and Redis, alerts published like a box's."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from contracts.codec import encode
from contracts.messages import AlertEvent, DetectionBox
from hub.domain.clock import FakeClock
from hub.runtime import HubRuntime
from hub.services.processor import GROUP
from hub.settings import HubSettings
from tests.hub.conftest import MONDAY_9, OP, Hub, Publisher, make_alert, wait_for

pytestmark = pytest.mark.integration
KEY = "cam-01:ground:06010"


def _boxes(*rows: tuple[float, float, float, float, float, str]) -> tuple[DetectionBox, ...]:
    return tuple(
        DetectionBox(xyxy_norm=(x0, y0, x1, y1), confidence=c, class_name=n)
        for x0, y0, x1, y1, c, n in rows
    )


def _drawn(boxes: tuple[DetectionBox, ...]) -> list[dict[str, Any]]:
    return [
        {"xyxy_norm": list(b.xyxy_norm), "confidence": b.confidence, "class_name": b.class_name}
        for b in boxes
    ]


async def _alarm(hub: Hub, count: int) -> dict[str, Any]:
    """The alarm once it has seen ``count`` alerts (and has its case)."""

    async def probe() -> dict[str, Any] | None:
        rows = (await hub.http.get("/api/alarms", headers=OP)).json()
        row = next((a for a in rows if a["key"] == KEY), None)
        ok = row is not None and int(row["count"]) == count and row.get("case_no")
        return row if ok else None

    return await wait_for(probe)


async def _detail(hub: Hub, case_no: str) -> dict[str, Any]:
    r = await hub.http.get(f"/api/cases/{case_no}", headers=OP)
    r.raise_for_status()
    return dict(r.json())


async def test_case_detail_carries_the_latest_alerts_boxes(hub: Hub, publisher: Publisher) -> None:
    first = _boxes((0.1, 0.2, 0.3, 0.6, 0.91, "waste_bag"), (0.5, 0.5, 0.7, 0.9, 0.62, "waste"))
    ev = publisher.alert("edge-01", boxes=first, snapshot_id="snap-first-0001")
    alarm = await _alarm(hub, 1)
    no = alarm["case_no"]
    detail = await _detail(hub, no)
    assert detail["state"] == "dispatched"  # filed automatically, never queued
    assert detail["boxes"] == _drawn(first)
    assert detail["boxes_ms"] == MONDAY_9
    assert detail["boxes_snapshot_id"] == "snap-first-0001"

    # a re-trigger: its boxes (and the snapshot it names) replace the first ones
    second = _boxes(
        (0.12, 0.22, 0.33, 0.61, 0.88, "waste_bag"),
        (0.52, 0.5, 0.71, 0.93, 0.7, "waste"),
        (0.8, 0.1, 0.95, 0.3, 0.55, "waste"),
    )
    t2 = MONDAY_9 + 60_000
    publisher.alert(
        "edge-01",
        event_id=ev.event_id,
        type="update",
        seq=1,
        updated_at_ms=t2,
        boxes=second,
        snapshot_id="snap-second-0002",
    )
    alarm = await _alarm(hub, 2)
    assert alarm["boxes"] == _drawn(second)
    detail = await _detail(hub, no)
    assert (detail["boxes"], detail["boxes_ms"]) == (_drawn(second), t2)
    assert detail["boxes_snapshot_id"] == "snap-second-0002"
    assert detail["facts"]["snapshot_id"] == "snap-first-0001"  # the report keeps its own

    # an update without boxes, an older alert of another event and the 'end' leave them
    publisher.alert("edge-01", event_id=ev.event_id, type="update", seq=2, updated_at_ms=t2 + 1000)
    await _alarm(hub, 3)
    stale = _boxes((0.0, 0.0, 0.5, 0.5, 0.99, "waste"))
    publisher.alert("edge-01", updated_at_ms=t2 - 30_000, boxes=stale)
    await _alarm(hub, 4)
    publisher.alert(
        "edge-01",
        event_id=ev.event_id,
        type="end",
        seq=3,
        updated_at_ms=t2 + 2000,
        ended_at_ms=t2 + 2000,
        boxes=stale,
    )

    async def ending() -> dict[str, Any] | None:
        rows = (await hub.http.get("/api/alarms", headers=OP)).json()
        return next((a for a in rows if a["key"] == KEY and a["state"] == "ending"), None)

    alarm = await wait_for(ending)
    assert alarm["boxes"] == _drawn(second)
    detail = await _detail(hub, no)
    assert (detail["boxes"], detail["boxes_ms"]) == (_drawn(second), t2)


async def test_the_record_keeps_the_sixteen_most_confident(hub: Hub, publisher: Publisher) -> None:
    many = _boxes(*((i / 50, 0.1, i / 50 + 0.01, 0.2, 0.3 + i / 100, "waste") for i in range(40)))
    publisher.alert("edge-01", boxes=many)
    alarm = await _alarm(hub, 1)
    kept = (await _detail(hub, alarm["case_no"]))["boxes"]
    assert len(kept) == 16
    assert [b["confidence"] for b in kept] == [round(0.3 + i / 100, 4) for i in range(39, 23, -1)]
    assert kept[0]["xyxy_norm"] == [0.78, 0.1, 0.79, 0.2]


async def test_a_queued_alarm_confirmed_into_a_case_carries_its_boxes(
    hub: Hub, publisher: Publisher
) -> None:
    boxes = _boxes((0.4, 0.4, 0.6, 0.8, 0.55, "waste_bag"))
    publisher.alert("edge-01", confidence=0.5, boxes=boxes, snapshot_id="snap-queued-0001")

    async def queued() -> list[dict[str, Any]] | None:
        rows = (await hub.http.get("/api/verification-queue", headers=OP)).json()
        return rows or None

    (row,) = await wait_for(queued)
    assert row["boxes"] == _drawn(boxes)
    r = await hub.http.post(f"/api/verification-queue/{KEY}/confirm", headers=OP)
    r.raise_for_status()
    detail = await _detail(hub, r.json()["case_no"])
    assert detail["boxes"] == _drawn(boxes)
    assert detail["boxes_snapshot_id"] == "snap-queued-0001"


async def test_a_case_without_boxes_says_so(hub: Hub, publisher: Publisher) -> None:
    publisher.alert("edge-01")
    alarm = await _alarm(hub, 1)
    assert alarm["boxes"] == []
    detail = await _detail(hub, alarm["case_no"])
    assert (detail["boxes"], detail["boxes_ms"], detail["boxes_snapshot_id"]) == ([], None, None)


async def _alarm_boxes_after(rt: HubRuntime, alerts: list[AlertEvent], per_step: int) -> Any:
    """Put ``alerts`` in the inbox, correlate them ``per_step`` at a time, return the boxes
    fields of cam-01's alarm; then forget everything (a clean slate for the next run)."""
    await rt.processor.ensure_group()
    for ev in alerts:
        await rt.redis.xadd(rt.keys.inbox, {"k": "event", "p": encode(ev), "rx": 0})
    steps = []
    while True:
        resp: Any = await rt.redis.xreadgroup(GROUP, "t", {rt.keys.inbox: ">"}, count=per_step)
        if not resp:
            break
        await rt.processor.handle(resp[0][1])
        steps.append(len(resp[0][1]))
    got = await rt.redis.hmget(rt.keys.alarm(KEY), ["boxes", "boxes_ms", "boxes_snapshot_id"])
    keys = [k async for k in rt.redis.scan_iter(match=f"{rt.keys.prefix}:*")]
    await rt.redis.delete(*keys)
    return steps, got


async def test_one_batch_keeps_what_one_alert_at_a_time_keeps(
    hub_settings: HubSettings, redis: Redis
) -> None:
    """In one batch script call, the boxes of the alarm's latest alert win, as when each
    alert comes alone (the worker encodes only those)."""
    t = MONDAY_9
    ev = make_alert(
        "edge-01", boxes=_boxes((0.1, 0.1, 0.2, 0.2, 0.9, "a")), snapshot_id="sn-a-0001"
    )
    upd = {"event_id": ev.event_id, "type": "update"}
    alerts = [
        ev,
        make_alert(
            "edge-01",
            **upd,
            seq=1,
            updated_at_ms=t + 3000,
            snapshot_id="sn-c-0003",
            boxes=_boxes((0.3, 0.3, 0.4, 0.4, 0.8, "c")),
        ),
        make_alert(
            "edge-01",
            **upd,
            seq=2,
            updated_at_ms=t + 2000,
            snapshot_id="sn-b-0002",
            boxes=_boxes((0.2, 0.2, 0.3, 0.3, 0.8, "b")),
        ),
        make_alert("edge-01", **upd, seq=3, updated_at_ms=t + 4000),
        make_alert("edge-01", camera_id="cam-02", boxes=_boxes((0.5, 0.5, 0.6, 0.6, 0.7, "e"))),
        make_alert(
            "edge-01",
            event_id=ev.event_id,
            type="end",
            seq=4,
            updated_at_ms=t + 5000,
            ended_at_ms=t + 5000,
            boxes=_boxes((0.6, 0.6, 0.7, 0.7, 0.9, "d")),
        ),
    ]
    rt = HubRuntime(hub_settings, clock=FakeClock(t), mqtt=False, workers=False, timer_loop=False)
    await rt.start()
    try:
        one_call = await _alarm_boxes_after(rt, alerts, per_step=500)
        one_by_one = await _alarm_boxes_after(rt, alerts, per_step=1)
    finally:
        await rt.stop()
    assert one_call[0] == [6] and one_by_one[0] == [1] * 6
    assert (
        one_call[1]
        == one_by_one[1]
        == [
            b'[[0.3000,0.3000,0.4000,0.4000,0.8000,"c"]]',
            str(t + 3000).encode(),
            b"sn-c-0003",
        ]
    )
